package extract

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/sluicehq/sluice/bench/synth"
	"github.com/sluicehq/sluice/bench/testenv"
)

// modeValue is one emitted value, comparable.
type modeValue struct {
	Sel int
	Raw string
}

func runMode(t testing.TB, opts Options, r io.Reader) ([]modeValue, int64, error) {
	t.Helper()
	e, err := New(opts)
	if err != nil {
		t.Fatalf("New(%+v): %v", opts, err)
	}
	var got []modeValue
	n, err := e.Run(r, func(sel int, raw []byte) error {
		got = append(got, modeValue{sel, string(raw)})
		return nil
	})
	return got, n, err
}

// stdlibMatches is what the regexp package finds on the whole input: the
// matches of each pattern, merged by start offset.
func stdlibMatches(patterns []string, in []byte) []modeValue {
	type at struct {
		start int
		v     modeValue
	}
	var all []at
	for i, p := range patterns {
		for _, loc := range regexp.MustCompile(p).FindAllSubmatchIndex(in, -1) {
			raw := ""
			if loc[2] >= 0 {
				raw = string(in[loc[2]:loc[3]])
			}
			all = append(all, at{loc[0], modeValue{i, raw}})
		}
	}
	slices.SortStableFunc(all, func(a, b at) int { return a.start - b.start })
	out := make([]modeValue, len(all))
	for i, a := range all {
		out[i] = a.v
	}
	return out
}

// regexCorpus builds a small RIPEstat-shaped body with the things that
// make chunk boundaries hard: escaped quotes, multi-byte text, long and
// short numbers, odd spacing, decoy keys.
func regexCorpus(seed uint64, n int) []byte {
	rng := rand.New(rand.NewPCG(seed, 1))
	var b bytes.Buffer
	b.WriteString(`{"status":"ok","data":{"updates":[`)
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(",")
		}
		sp := strings.Repeat(" ", rng.IntN(3))
		nl := []string{"", "\n", "\r\n\t"}[rng.IntN(3)]
		fmt.Fprintf(&b, `{%s"seq":%d,`, nl, rng.Int64N(1<<50))
		switch rng.IntN(6) {
		case 0:
			fmt.Fprintf(&b, `"timestamp"%s:%s%d`, sp, sp, 1662940800+rng.IntN(86400))
		case 1:
			fmt.Fprintf(&b, `"timestamp":%s"2022-09-12T%02d:%02d:%02d"`, sp, rng.IntN(24), rng.IntN(60), rng.IntN(60))
		case 2:
			fmt.Fprintf(&b, `"timestamp":"esc \"q\" \\ é €%s"`, strings.Repeat("x", rng.IntN(40)))
		case 3:
			fmt.Fprintf(&b, `"timestamp":%s-1.5e%d`, nl, rng.IntN(9))
		case 4:
			b.WriteString(`"timestamp":null,"note":"timestamp","x":true`)
		case 5:
			fmt.Fprintf(&b, `"timestamp":%s"2022-09-12 08:00:03.%d+02:00"`, sp, rng.IntN(1000))
		}
		fmt.Fprintf(&b, `,"type":"A","attrs":{"path":[%d,%d],"community":["1103:%d"],"id":"日本"}}`, rng.IntN(65536), rng.IntN(65536), rng.IntN(999))
	}
	b.WriteString(`],"nr_updates":1},"status_code":200}`)
	return b.Bytes()
}

var regexChunkCases = []struct {
	name     string
	patterns []string
}{
	{"derived", nil},
	{"several patterns", []string{`"seq":(\d+)`, `"timestamp"[ \t\r\n]*:[ \t\r\n]*("(?:[^"\\]|\\.)*"|[-+0-9.eE]+|true|false|null)`, `"status":("\w+")`}},
	{"no literal prefix", []string{`(\d{4}-\d\d-\d\d[T ][\d:.]+(?:[+-]\d\d:\d\d)?)`}},
	{"case folded", []string{`(?i)"TIMESTAMP":\s*("[^"]*")`}},
	{"longer alternative wins", []string{`"path":\[(\d+,\d+\]|\d+)`}},
	{"lazy", []string{`"community":\[(.+?)\]`}},
	{"multibyte", []string{`(日本|€[x]*)`}},
}

// TestRegexChunkBoundaries proves that no match is lost or doubled at a
// chunk boundary: at every chunk size from 1 to 300 and at random sizes,
// the values equal those found on the whole input in one piece, and those
// of regexp.FindAllSubmatchIndex.
func TestRegexChunkBoundaries(t *testing.T) {
	in := regexCorpus(7, 20)
	for _, tc := range regexChunkCases {
		t.Run(tc.name, func(t *testing.T) {
			opts := Options{Mode: Regex, Patterns: tc.patterns, BufferSize: len(in) + 1}
			whole, n, err := runMode(t, opts, bytes.NewReader(in))
			if err != nil || n != int64(len(in)) {
				t.Fatalf("whole input: n=%d err=%v", n, err)
			}
			pats := tc.patterns
			if pats == nil {
				pats = []string{`"timestamp"[ \t\r\n]*:[ \t\r\n]*("(?:[^"\\]|\\.)*"|[-+0-9.eE]+|true|false|null)`}
			}
			if ref := stdlibMatches(pats, in); !slices.Equal(whole, ref) || len(ref) < 3 {
				t.Fatalf("whole input: %d values, regexp finds %d\n got %v\nwant %v", len(whole), len(ref), whole, ref)
			}
			rng := rand.New(rand.NewPCG(uint64(len(tc.name)), 2))
			sizes := make([]int, 0, 320)
			for k := 1; k <= sweep(300, 40); k++ {
				sizes = append(sizes, k)
			}
			for range sweep(20, 5) {
				sizes = append(sizes, 1+rng.IntN(len(in)))
			}
			// One Extractor for all sizes (compiling is the slow part);
			// only the chunk size changes.
			e, err := New(opts)
			if err != nil {
				t.Fatal(err)
			}
			for _, k := range sizes {
				e.sc.(*regexScanner).chunk = k
				var got []modeValue
				n, err := e.Run(bytes.NewReader(in), func(sel int, raw []byte) error {
					got = append(got, modeValue{sel, string(raw)})
					return nil
				})
				if err != nil || n != int64(len(in)) {
					t.Fatalf("chunk %d: n=%d err=%v", k, n, err)
				}
				if !slices.Equal(got, whole) {
					i := 0
					for i < min(len(got), len(whole)) && got[i] == whole[i] {
						i++
					}
					t.Fatalf("chunk %d: %d values, whole input %d; first difference at value %d", k, len(got), len(whole), i)
				}
			}
		})
	}
}

// TestRegexShortReads checks that a reader returning fewer bytes than
// asked does not change the values.
func TestRegexShortReads(t *testing.T) {
	in := regexCorpus(3, 30)
	want, _, err := runMode(t, Options{Mode: Regex, BufferSize: 1 << 20}, bytes.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []io.Reader{iotest.OneByteReader(bytes.NewReader(in)), iotest.HalfReader(bytes.NewReader(in)), iotest.DataErrReader(bytes.NewReader(in))} {
		got, _, err := runMode(t, Options{Mode: Regex, BufferSize: 97}, r)
		if err != nil || !slices.Equal(got, want) {
			t.Fatalf("%T: err=%v, %d values, want %d", r, err, len(got), len(want))
		}
	}
}

func TestRegexOptionErrors(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		want string
	}{
		{"no group", Options{Patterns: []string{`"ts":\d+`}}, "exactly one capture group, have 0"},
		{"two groups", Options{Patterns: []string{`"(ts)":(\d+)`}}, "exactly one capture group, have 2"},
		{"bad syntax", Options{Patterns: []string{`"ts":(\d+`}}, "missing closing )"},
		{"start anchor", Options{Patterns: []string{`^"ts":(\d+)`}}, "start anchor"},
		{"end anchor", Options{Patterns: []string{`"ts":(\d+)$`}}, "end anchor"},
		{"word boundary", Options{Patterns: []string{`\bts":(\d+)`}}, "word boundary"},
		{"empty match", Options{Patterns: []string{`(\d*)`}}, "matches the empty string"},
		{"selector without key", Options{Paths: []string{"data.updates[*]"}}, "does not end in a key"},
		{"chunk too large", Options{BufferSize: 1<<30 + 1}, "chunk size 1073741825 above"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.Mode = Regex
			_, err := New(tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New: err = %v; want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestRegexDerivedPattern(t *testing.T) {
	// The key is written as JSON writes it; the value is the whole token.
	in := `{"a\"b":"x","a\"b" : 12.5e3,"a\"bc":1,"o":{"a\"b":true}, "a\"b":"q\"\\"}`
	got, _, err := runMode(t, Options{Mode: Regex, Paths: []string{`["a\"b"]`}, BufferSize: 5}, strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	// Text, not paths: the nested o.a"b matches too.
	want := []modeValue{{0, `"x"`}, {0, `12.5e3`}, {0, `true`}, {0, `"q\"\\"`}}
	if !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

func TestRegexRunErrors(t *testing.T) {
	t.Run("value too large", func(t *testing.T) {
		in := `{"ts":"` + strings.Repeat("a", 100) + `"}`
		_, _, err := runMode(t, Options{Mode: Regex, Paths: []string{"ts"}, MaxValueSize: 50, BufferSize: 1000}, strings.NewReader(in))
		if !errors.Is(err, ErrValueTooLarge) || !strings.Contains(err.Error(), "offset 6") {
			t.Fatalf("err = %v; want ErrValueTooLarge at offset 6", err)
		}
	})
	t.Run("unfinished match past the limit", func(t *testing.T) {
		// An unterminated string could still become a match: the carried
		// tail is bounded, so it is an error, not unbounded growth.
		in := `{"ts":"` + strings.Repeat("a", 5000)
		_, _, err := runMode(t, Options{Mode: Regex, Paths: []string{"ts"}, MaxValueSize: 100, BufferSize: 64}, strings.NewReader(in))
		if err == nil || !strings.Contains(err.Error(), "could still be a match") || !strings.Contains(err.Error(), "offset 1") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("read error", func(t *testing.T) {
		boom := errors.New("boom")
		r := io.MultiReader(strings.NewReader(`{"ts":1}`), iotest.ErrReader(boom))
		_, _, err := runMode(t, Options{Mode: Regex, Paths: []string{"ts"}, BufferSize: 4}, r)
		if !errors.Is(err, boom) {
			t.Fatalf("err = %v; want boom", err)
		}
	})
	t.Run("emit error", func(t *testing.T) {
		stop := errors.New("stop")
		e, err := New(Options{Mode: Regex, Paths: []string{"ts"}})
		if err != nil {
			t.Fatal(err)
		}
		calls := 0
		_, err = e.Run(strings.NewReader(`{"ts":1,"ts":2}`), func(int, []byte) error { calls++; return stop })
		if err != stop || calls != 1 {
			t.Fatalf("err = %v after %d calls; want stop after 1", err, calls)
		}
	})
}

// TestRegexReuse checks that an Extractor gives the same values on a
// second Run (no state left from the first).
func TestRegexReuse(t *testing.T) {
	in := regexCorpus(5, 20)
	e, err := New(Options{Mode: Regex, BufferSize: 33})
	if err != nil {
		t.Fatal(err)
	}
	var runs [2][]modeValue
	for i := range runs {
		if _, err := e.Run(bytes.NewReader(in), func(sel int, raw []byte) error {
			runs[i] = append(runs[i], modeValue{sel, string(raw)})
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	if len(runs[0]) == 0 || !slices.Equal(runs[0], runs[1]) {
		t.Fatalf("runs differ: %d vs %d values", len(runs[0]), len(runs[1]))
	}
}

// BenchmarkRegex compares a derived pattern (capture found from the match
// span) with a given one (capture found by regexp's one-pass matcher) on a
// RIPEstat-shaped body; the modes side by side are in BenchmarkExtract.
func BenchmarkRegex(b *testing.B) {
	var buf bytes.Buffer
	o := synth.Options{Resource: "AS3333", Seed: 3, Updates: synth.UpdatesForSize(8 << 20)}
	if _, err := synth.NewReader(o).WriteTo(&buf); err != nil {
		b.Fatal(err)
	}
	body := buf.Bytes()
	for _, tc := range []struct {
		name string
		opts Options
	}{
		{"derived", Options{Mode: Regex}},
		{"given", Options{Mode: Regex, Patterns: []string{`"timestamp":("[^"]*")`}}},
		{"given-no-prefix", Options{Mode: Regex, Patterns: []string{`(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)`}}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			e, err := New(tc.opts)
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				n := int64(0)
				if _, err := e.Run(bytes.NewReader(body), func(int, []byte) error { n++; return nil }); err != nil {
					b.Fatal(err)
				}
				if n < o.Truth().Count {
					b.Fatalf("%d values, want at least %d", n, o.Truth().Count)
				}
			}
		})
	}
}

// TestRegexDerivedOddKey: a key whose text stops regexp's literal prefix
// early (U+FFFD) and holds a colon still yields the value after the key.
func TestRegexDerivedOddKey(t *testing.T) {
	in := "{\"\uFFFD:x\" : 5, \"\uFFFD:x\":\"v\"}"
	got, _, err := runMode(t, Options{Mode: Regex, Paths: []string{"[\"\uFFFD:x\"]"}, BufferSize: 3}, strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if want := []modeValue{{0, "5"}, {0, `"v"`}}; !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

// TestLargeRegex runs Regex mode over a body of more than 1 GiB: the
// values match the generator's truth and the heap stays flat (the window
// is a chunk plus the undecided tail). Run with SLUICE_LARGE=1.
func TestLargeRegex(t *testing.T) {
	testenv.SkipUnlessLarge(t, "scan a 1 GiB body")
	o := synth.Options{Resource: "AS3333", Seed: 5, Updates: synth.UpdatesForSize(1<<30 + 1<<27), Pretty: true}
	truth := o.Truth()
	e, err := New(Options{Mode: Regex})
	if err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	var before, now runtime.MemStats
	runtime.ReadMemStats(&before)
	var tl Tally
	var peak uint64
	n, err := e.Run(synth.NewReader(o), func(_ int, raw []byte) error {
		if tl.Add(raw); tl.Count%(1<<20) == 0 {
			runtime.ReadMemStats(&now)
			peak = max(peak, now.HeapInuse)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 1<<30 || tl.Count != truth.Count || tl.Invalid != 0 || tl.First != truth.First || tl.Last != truth.Last {
		t.Fatalf("read %d bytes, tally %+v; truth %+v", n, tl, truth)
	}
	if grew := int64(peak) - int64(before.HeapInuse); grew > 8<<20 {
		t.Errorf("heap in use grew by %d bytes while scanning %d bytes", grew, n)
	}
	t.Logf("%d bytes, %d values, heap peak %d KiB (before %d KiB)", n, tl.Count, peak>>10, before.HeapInuse>>10)
}

// TestRegexHugeValueCap: a MaxValueSize near MaxInt must not overflow the
// carry limit into refusing every undecided tail.
func TestRegexHugeValueCap(t *testing.T) {
	got, _, err := runMode(t, Options{Mode: Regex, Paths: []string{"ts"}, MaxValueSize: math.MaxInt, BufferSize: 3}, strings.NewReader(`{"ts":12345}`))
	if err != nil || !slices.Equal(got, []modeValue{{0, "12345"}}) {
		t.Fatalf("got %v, %v", got, err)
	}
}
