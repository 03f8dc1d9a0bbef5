package extract

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"regexp"
	"regexp/syntax"
	"slices"
	"strings"
	"testing"
)

// randomPattern builds a small pattern with exactly one capture group over
// the alphabet of randomText, mixing greedy, lazy and alternation.
func randomPattern(rng *rand.Rand) string {
	atoms := []string{"a", "b", "c", "[ab]", ".", `\d`, "ab", "(?:a|ab)", "(?:ab|a)", "é", "[^a]"}
	ops := []string{"", "", "*", "+", "?", "{1,3}", "*?", "+?", "??"}
	piece := func() string { return atoms[rng.IntN(len(atoms))] + ops[rng.IntN(len(ops))] }
	n := 1 + rng.IntN(4)
	parts := make([]string, n)
	for i := range parts {
		parts[i] = piece()
		if rng.IntN(5) == 0 {
			parts[i] = "(?:" + parts[i] + "|" + piece() + ")"
		}
	}
	g := rng.IntN(n)
	parts[g] = "(" + parts[g] + ")"
	return strings.Join(parts, "")
}

func randomText(rng *rand.Rand, n int) []byte {
	const alphabet = "aaabbbc1 \né"
	var b []byte
	for len(b) < n {
		i := rng.IntN(len(alphabet))
		if alphabet[i] >= 0x80 { // the two bytes of é
			b = append(b, "é"...)
			continue
		}
		b = append(b, alphabet[i])
	}
	return b
}

// TestRegexRandomPatterns holds the chunked scan to regexp.FindAll on
// random patterns and texts at random chunk sizes: leftmost-first
// semantics, lazy operators, alternations whose longer branch loses, and
// multi-byte runes cut by chunk boundaries.
func TestRegexRandomPatterns(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	tried := 0
	for tried < sweep(300, 80) {
		pat := randomPattern(rng)
		if regexp.MustCompile(pat).MatchString("") {
			continue // rejected by New: covered by TestRegexOptionErrors
		}
		tried++
		text := randomText(rng, 50+rng.IntN(150))
		want := stdlibMatches([]string{pat}, text)
		e, err := New(Options{Mode: Regex, Patterns: []string{pat}})
		if err != nil {
			t.Fatalf("pattern %q: %v", pat, err)
		}
		for range 8 {
			k := 1 + rng.IntN(24)
			e.sc.(*regexScanner).chunk = k
			var got []modeValue
			if _, err := e.Run(bytes.NewReader(text), func(sel int, raw []byte) error {
				got = append(got, modeValue{sel, string(raw)})
				return nil
			}); err != nil {
				t.Fatalf("pattern %q chunk %d: %v", pat, k, err)
			}
			if !slices.Equal(got, want) {
				t.Fatalf("pattern %q chunk %d on %q:\n got %q\nwant %q", pat, k, text, fmt.Sprint(got), fmt.Sprint(want))
			}
		}
	}
}

// TestReachDFA checks where the DFA says matching stops and where the
// leftmost-first match ends.
func TestReachDFA(t *testing.T) {
	tests := []struct {
		pat, text string
		eof       bool
		end       int
		alive     bool
		mend      int
	}{
		{`"ts":(\d+)`, `"ts":123,`, false, 8, false, 8},
		{`"ts":(1)`, `"ts":1`, false, 6, false, 6},    // nothing can follow the match
		{`"ts":(\d+)`, `"ts":123`, false, 8, true, 8}, // more digits may come
		{`"ts":(\d+)`, `"ts":123`, true, 8, true, 8},
		{`"ts":(\d+)`, `"tx":1`, false, 2, false, -1},
		{`(ab|abcd)`, `abcd`, false, 2, false, 2}, // leftmost-first: ab wins, abcd is cut
		{`(abcd|ab)`, `abcx`, false, 3, false, 2},
		{`(a+?)`, `aaa`, false, 1, false, 1},
		{`(é)`, "\xc3", false, 1, true, -1}, // half a rune: wait for the rest
		{`(é)`, "\xc3", true, 0, false, -1},
	}
	for _, tc := range tests {
		tree, err := syntax.Parse(tc.pat, syntax.Perl)
		if err != nil {
			t.Fatal(err)
		}
		d, err := newReachDFA(tree)
		if err != nil {
			t.Fatal(err)
		}
		end, alive, mend := d.run([]byte(tc.text), tc.eof)
		if alive != tc.alive || mend != tc.mend || (!alive && end != tc.end) {
			t.Errorf("%s on %q (eof %v): end %d alive %v mend %d; want %d %v %d", tc.pat, tc.text, tc.eof, end, alive, mend, tc.end, tc.alive, tc.mend)
		}
	}
}

// TestReachDFACacheReset drives the DFA past maxReachStates: it starts
// over and still answers like regexp.
func TestReachDFACacheReset(t *testing.T) {
	// (a|b)*a(a|b){12}: a classic state explosion, 2^13 DFA states.
	pat := `((?:a|b)*a(?:a|b){12})c`
	tree, _ := syntax.Parse(pat, syntax.Perl)
	d, err := newReachDFA(tree)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	text := make([]byte, 20000)
	for i := range text {
		text[i] = "ab"[rng.IntN(2)]
	}
	text[len(text)-13] = 'a' // so that it matches
	text = append(text, 'c', 'x')
	_, alive, mend := d.run(text, false)
	if len(d.states) > maxReachStates {
		t.Fatalf("%d states cached, bound %d", len(d.states), maxReachStates)
	}
	loc := regexp.MustCompile(`\A` + pat).FindIndex(text)
	if loc == nil || mend != loc[1] || alive {
		t.Fatalf("mend %d alive %v; regexp %v", mend, alive, loc)
	}
}

// TestRegexNoQuadraticBlowUp feeds texts where a match could start at
// every byte (or at every repeat of the prefix) and runs on for the whole
// text: the scan must stay linear (here 64 KiB would take a minute
// otherwise) and still agree with regexp. Under -race or -short the texts
// are 16 KiB: a quadratic scan (some n²/2 steps) would still pass the
// bound of 64 steps per byte a hundredfold.
func TestRegexNoQuadraticBlowUp(t *testing.T) {
	long := func(unit string, n int, tail string) []byte {
		return append(bytes.Repeat([]byte(unit), n/len(unit)), tail...)
	}
	n := sweep(64<<10, 16<<10)
	tests := []struct {
		name, pat string
		text      []byte
	}{
		{"no prefix, no match", `(a+b)`, long("a", n, "")},
		{"no prefix, match at the end", `(a+b)`, long("a", n, "b")},
		{"repeating prefix, no match", `x(?:y|xy)*(z)`, long("xy", n, "")},
		{"repeating prefix, match at the end", `x(?:y|xy)*(z)`, long("xy", n, "z")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			want := stdlibMatches([]string{tc.pat}, tc.text)
			for _, chunk := range []int{len(tc.text) + 1, 4093} {
				e, err := New(Options{Mode: Regex, Patterns: []string{tc.pat}, BufferSize: chunk})
				if err != nil {
					t.Fatal(err)
				}
				var got []modeValue
				if _, err := e.Run(bytes.NewReader(tc.text), func(sel int, raw []byte) error {
					got = append(got, modeValue{sel, string(raw)})
					return nil
				}); err != nil {
					t.Fatalf("chunk %d: %v", chunk, err)
				}
				if !slices.Equal(got, want) {
					t.Fatalf("chunk %d: %d values, regexp %d", chunk, len(got), len(want))
				}
				// Carried text is looked at again in each window, so allow
				// a factor for windows, but nothing like len².
				if steps := e.sc.(*regexScanner).pats[0].reach.steps; steps > 64*int64(len(tc.text)) {
					t.Errorf("chunk %d: %d steps for %d bytes", chunk, steps, len(tc.text))
				}
			}
		})
	}
}

func TestLeftmostAlive(t *testing.T) {
	tests := []struct {
		pat, text string
		want      int
	}{
		{`(a+b)`, "xxaaa", 2},
		{`(a+b)`, "xxaab", -1}, // the match is complete, nothing waits
		{`(a+b)c`, "aabx", -1},
		{`x(y+)`, "x1xyy", 2},
		{`(é)`, "ab\xc3", 2}, // half a rune
		{`(abc)`, "zzab", 2},
	}
	for _, tc := range tests {
		tree, _ := syntax.Parse(tc.pat, syntax.Perl)
		d, err := newReachDFA(tree)
		if err != nil {
			t.Fatal(err)
		}
		if got := d.leftmostAlive([]byte(tc.text), false); got != tc.want {
			t.Errorf("%s on %q: %d, want %d", tc.pat, tc.text, got, tc.want)
		}
	}
}
