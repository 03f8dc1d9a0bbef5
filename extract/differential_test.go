package extract

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/bench/synth"
)

// The differential test holds the three modes to one another and to an
// independent reference: encoding/json decodes the document into any and
// the selector is walked over the result. Every mode must give the values
// the reference gives, in the same order; Stream and Full must give the
// same raw text (both cut it out of the document), and Regex mode joins in
// on the selectors whose text and path coincide (regexOK).

// diffCase is one document with the selectors to check.
type diffCase struct {
	name    string
	doc     []byte
	paths   []string
	regexOK []bool // per path: the derived pattern finds exactly the path's values
}

// diffReference returns, per selector, the values encoding/json finds and
// whether its container (containerOf) is there with the right kind.
func diffReference(t *testing.T, doc []byte, sels []Selector) ([][]any, []bool) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	var root any
	if err := dec.Decode(&root); err != nil {
		t.Fatalf("reference: %v", err)
	}
	out := make([][]any, len(sels))
	reached := make([]bool, len(sels))
	for i, sel := range sels {
		out[i] = diffWalk(root, sel.Steps(), nil)
		c := containerOf(sel.Steps())
		for _, v := range diffWalk(root, sel.Steps()[:c.depth], nil) {
			switch v.(type) {
			case map[string]any:
				reached[i] = reached[i] || !c.array
			case []any:
				reached[i] = reached[i] || c.array
			}
		}
	}
	return out, reached
}

func diffWalk(v any, steps []Step, out []any) []any {
	if len(steps) == 0 {
		return append(out, v)
	}
	switch x := v.(type) {
	case map[string]any:
		if !steps[0].Wildcard {
			if m, ok := x[steps[0].Key]; ok {
				out = diffWalk(m, steps[1:], out)
			}
		}
	case []any:
		if steps[0].Wildcard {
			for _, e := range x {
				out = diffWalk(e, steps[1:], out)
			}
		}
	}
	return out
}

// diffDecode decodes one emitted raw value the way the reference decodes.
func diffDecode(t *testing.T, raw []byte) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("emitted value %q is not JSON: %v", raw, err)
	}
	if dec.More() {
		t.Fatalf("emitted value %q holds more than one value", raw)
	}
	return v
}

// diffRun runs one mode and returns the emitted values in order. If
// reached is not nil, Extractor.Reached must report it.
func diffRun(t *testing.T, opts Options, doc []byte, reached []bool) []modeValue {
	t.Helper()
	e, err := New(opts)
	if err != nil {
		t.Fatalf("New(%s): %v", opts.Mode, err)
	}
	var got []modeValue
	n, err := e.Run(bytes.NewReader(doc), func(sel int, raw []byte) error {
		got = append(got, modeValue{sel, string(raw)})
		return nil
	})
	if err != nil {
		t.Fatalf("%s (buffer %d): %v", opts.Mode, opts.BufferSize, err)
	}
	if n != int64(len(doc)) {
		t.Fatalf("%s: read %d bytes of %d", opts.Mode, n, len(doc))
	}
	for i, want := range reached {
		if e.Reached(i) != want {
			t.Fatalf("%s (buffer %d, strict %v): Reached(%d) = %v, encoding/json finds the container of %s: %v",
				opts.Mode, opts.BufferSize, opts.Strict, i, e.Reached(i), opts.Paths[i], want)
		}
	}
	return got
}

// diffCheck runs every mode over c and compares.
func diffCheck(t *testing.T, c diffCase, bufferSizes []int) {
	t.Helper()
	sels := make([]Selector, len(c.paths))
	for i, p := range c.paths {
		var err error
		if sels[i], err = ParseSelector(p); err != nil {
			t.Fatal(err)
		}
	}
	ref, reached := diffReference(t, c.doc, sels)

	// Stream, at several buffer sizes, strict and not, is checked against
	// the reference per selector.
	stream := diffRun(t, Options{Mode: Stream, Paths: c.paths}, c.doc, reached)
	perSel := make([][]any, len(sels))
	for _, v := range stream {
		perSel[v.Sel] = append(perSel[v.Sel], diffDecode(t, []byte(v.Raw)))
	}
	for i := range sels {
		if !reflect.DeepEqual(perSel[i], ref[i]) && (len(perSel[i]) > 0 || len(ref[i]) > 0) {
			t.Fatalf("selector %s: stream gives %d values, encoding/json %d\nstream: %v\nref:    %v",
				c.paths[i], len(perSel[i]), len(ref[i]), diffShort(perSel[i]), diffShort(ref[i]))
		}
	}
	for _, bs := range bufferSizes {
		for _, strict := range []bool{false, true} {
			got := diffRun(t, Options{Mode: Stream, Paths: c.paths, BufferSize: bs, Strict: strict}, c.doc, reached)
			diffSame(t, fmt.Sprintf("stream buffer %d strict %v", bs, strict), got, stream)
		}
		// The AVX2 block skip, its Go twin and the pure-Go byte loop agree.
		sameAcrossBlocks(t, c.name, c.doc, c.paths, bs)
	}

	// Full gives the same raw text in the same order.
	for _, strict := range []bool{false, true} {
		diffSame(t, "full strict "+strconv.FormatBool(strict), diffRun(t, Options{Mode: Full, Paths: c.paths, Strict: strict}, c.doc, reached), stream)
	}

	// Regex, on the selectors where text and path coincide, all of them in
	// one extractor so that the merge by offset is checked too.
	var rpaths []string
	var rsel []int
	for i, ok := range c.regexOK {
		if ok {
			rpaths = append(rpaths, c.paths[i])
			rsel = append(rsel, i)
		}
	}
	if len(rpaths) == 0 {
		return
	}
	var want []modeValue
	for _, v := range stream {
		if k := slices.Index(rsel, v.Sel); k >= 0 {
			want = append(want, modeValue{k, v.Raw})
		}
	}
	for _, bs := range append([]int{1 << 20}, bufferSizes...) {
		got := diffRun(t, Options{Mode: Regex, Paths: rpaths, BufferSize: bs}, c.doc, nil)
		diffSame(t, fmt.Sprintf("regex chunk %d", bs), got, want)
	}
}

func diffSame(t *testing.T, what string, got, want []modeValue) {
	t.Helper()
	if slices.Equal(got, want) {
		return
	}
	i := 0
	for i < min(len(got), len(want)) && got[i] == want[i] {
		i++
	}
	g, w := "(none)", "(none)"
	if i < len(got) {
		g = fmt.Sprint(got[i])
	}
	if i < len(want) {
		w = fmt.Sprint(want[i])
	}
	t.Fatalf("%s: %d values, stream %d; first difference at %d: %s, stream %s", what, len(got), len(want), i, g, w)
}

func diffShort(v []any) string {
	s := fmt.Sprint(v)
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}

// TestDifferentialSynth runs the modes over generated RIPEstat bodies:
// compact and pretty, string and integer timestamps, every envelope key
// order the generator draws.
func TestDifferentialSynth(t *testing.T) {
	paths := []string{DefaultPath, "status", "data.updates[*].seq", "data.updates[*].attrs.path",
		"data.updates[*].attrs.community[*]", "data.nr_updates", "data"}
	regexOK := []bool{true, true, true, false, false, true, false}
	for seed := uint64(1); seed <= uint64(sweep(6, 2)); seed++ {
		for _, pretty := range []bool{false, true} {
			for _, unix := range []bool{false, true} {
				o := synth.Options{Resource: "AS3333", Seed: seed, Updates: int64(50 * seed), Pretty: pretty, UnixTimestamps: unix}
				name := fmt.Sprintf("seed%d-pretty%v-unix%v", seed, pretty, unix)
				t.Run(name, func(t *testing.T) {
					var buf bytes.Buffer
					if _, err := synth.NewReader(o).WriteTo(&buf); err != nil {
						t.Fatal(err)
					}
					diffCheck(t, diffCase{name: name, doc: buf.Bytes(), paths: paths, regexOK: regexOK}, []int{16, 61, 4096})
					// And the values agree with the generator's ground truth.
					var tl Tally
					for _, v := range diffRun(t, Options{Mode: Full}, buf.Bytes(), nil) {
						tl.Add([]byte(v.Raw))
					}
					if tr := o.Truth(); tl.Count != tr.Count || tl.Invalid != 0 || tl.First != tr.First || tl.Last != tr.Last {
						t.Fatalf("tally %+v; truth %+v", tl, tr)
					}
				})
			}
		}
	}
}

// diffEdgeCases are hand-written documents, each aimed at one way the
// modes could part.
var diffEdgeCases = []struct {
	name    string
	doc     string
	paths   []string
	regexOK []bool
}{
	{"escaped keys", `{"d\u0061ta":{"upd\u0061tes":[{"times\u0074amp":1},{"timestamp":2}]}}`,
		[]string{DefaultPath}, []bool{false}},
	{"nested decoys", `{"timestamp":"root","data":{"timestamp":0,"updates":[{"attrs":{"timestamp":"no"},"timestamp":"yes"},{"x":[{"timestamp":5}],"timestamp":6}]}}`,
		[]string{DefaultPath, "timestamp", "data.timestamp"}, []bool{false, false, false}},
	{"decoy inside a string", `{"data":{"updates":[{"note":"\"timestamp\":9","timestamp":1}]}}`,
		[]string{DefaultPath}, []bool{false}},
	{"empty arrays and objects", `{"data":{"updates":[[],{},{"timestamp":[]},{"timestamp":{}},{"timestamp":1}]},"e":[]}`,
		[]string{DefaultPath, "e[*]", "data.updates[*]"}, []bool{false, false, false}},
	{"unicode", `{"données":["ünï","日本語","😀","\ud83d\ude00","\u00e9"],"k":"é\"x"}`,
		[]string{`["données"][*]`, "k"}, []bool{false, true}},
	{"numbers of every shape", `{"n":[0,-0,1,-1,0.5,-0.5,1e3,1E3,1e+3,1e-3,-1.25E-10,123456789012345678901234567890,9223372036854775807,-9223372036854775808,1.7976931348623157e308,5e-324]}`,
		[]string{"n[*]"}, []bool{false}},
	{"numbers as timestamps", `[{"ts":1662969603},{"ts":1662969603.75},{"ts":-1.5e3},{"ts":0},{"ts":1e9}]`,
		[]string{"[*].ts"}, []bool{true}},
	{"root wildcard", `[1,"a",null,true,false,{"b":[2]},[3,[4]]]`,
		[]string{"[*]"}, []bool{false}},
	{"root wildcard of wildcards", `[[1,2],[],[[3]],"x",[{"a":1}]]`,
		[]string{"[*][*]", "[*][*].a"}, []bool{false, false}},
	{"literals", `{"v":[null,true,false],"a":null,"b":true,"c":false}`,
		[]string{"a", "b", "c", "v[*]"}, []bool{true, true, true, false}},
	{"whitespace everywhere", " \n\t{ \"a\" :\n [ 1 ,\r\n { \"b\"\t: \"x\" } ] , \"c\" : 2 }\n ",
		[]string{"a[*].b", "c", "a"}, []bool{true, true, false}},
	{"selectors interleave", `{"u":[{"t":1,"s":"a"},{"s":"b","t":2},{"t":3}],"s":"top"}`,
		[]string{"u[*].t", "u[*].s"}, []bool{true, false}},
	{"odd keys", `{"odd.key":[{"ts":1}],"sp ace":{"x":2},"q\"uote":3,"":4}`,
		[]string{`["odd.key"][*].ts`, `["sp ace"].x`, `["q\"uote"]`, `[""]`}, []bool{true, true, true, true}},
	{"strings with escapes", `{"s":["a\"b","\\","\/","\b\f\n\r\t","\u0000"]}`,
		[]string{"s[*]"}, []bool{false}},
	{"deep unselected subtree", `{"skip":` + strings.Repeat("[", 500) + strings.Repeat("]", 500) + `,"a":1}`,
		[]string{"a"}, []bool{true}},
	{"scalar root", `"just a string"`, []string{"a", "[*]"}, []bool{false, false}},
	{"container missing", `{"data":{"other":[{"timestamp":1}]},"status":"ok"}`,
		[]string{DefaultPath, "status", "data.updates[*]"}, []bool{false, true, false}},
	{"container null", `{"data":{"updates":null}}`, []string{DefaultPath, "data.updates"}, []bool{false, false}},
	{"container of the wrong kind", `{"data":{"updates":{"timestamp":1}},"x":[1]}`,
		[]string{DefaultPath, "x.y", "data.updates.timestamp"}, []bool{false, false, false}},
	{"container empty", `{"data":{"updates":[]}}`, []string{DefaultPath, "data.updates[*]", "data.x"}, []bool{false, false, false}},
	{"root array for a key", `[{"a":1}]`, []string{"a", "[*].a"}, []bool{false, false}},
}

func TestDifferentialEdgeCases(t *testing.T) {
	for _, tc := range diffEdgeCases {
		t.Run(tc.name, func(t *testing.T) {
			diffCheck(t, diffCase{name: tc.name, doc: []byte(tc.doc), paths: tc.paths, regexOK: tc.regexOK}, []int{16, 17, 33})
		})
	}
}

// TestDifferentialGenerated runs the modes over random documents: random
// key order, nesting, decoy keys at other depths, and every kind of value.
func TestDifferentialGenerated(t *testing.T) {
	rng := rand.New(rand.NewPCG(42, 42))
	paths := []string{"data.updates[*].timestamp", "status", "data.updates[*].attrs.v[*]", "[*]"}
	for i := range 60 {
		doc := diffRandomDoc(rng)
		diffCheck(t, diffCase{name: strconv.Itoa(i), doc: doc, paths: paths, regexOK: []bool{false, false, false, false}}, []int{16, 37})
	}
}

// TestDifferentialTestdata runs the documents kept in
// testdata/differential: NAME.json with its selectors, one per line, in
// NAME.paths (a line ending in " regex" marks a regex-safe selector).
func TestDifferentialTestdata(t *testing.T) {
	files, err := filepath.Glob("testdata/differential/*.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no documents in testdata/differential")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			doc, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			lines, err := os.ReadFile(strings.TrimSuffix(f, ".json") + ".paths")
			if err != nil {
				t.Fatal(err)
			}
			c := diffCase{name: f, doc: doc}
			for _, l := range strings.Split(strings.TrimSpace(string(lines)), "\n") {
				p, ok := strings.CutSuffix(l, " regex")
				c.paths = append(c.paths, p)
				c.regexOK = append(c.regexOK, ok)
			}
			diffCheck(t, c, []int{16, 1000})
		})
	}
}

// diffRandomDoc builds a document shaped like an API answer, with random
// key order and random values where timestamps go.
func diffRandomDoc(rng *rand.Rand) []byte {
	var b bytes.Buffer
	var value func(depth int)
	scalar := func() {
		switch rng.IntN(9) {
		case 0:
			b.WriteString("null")
		case 1:
			b.WriteString([]string{"true", "false"}[rng.IntN(2)])
		case 2:
			fmt.Fprintf(&b, "%d", rng.Int64()-rng.Int64())
		case 3:
			fmt.Fprintf(&b, "%g", rng.NormFloat64()*1e9)
		case 4:
			fmt.Fprintf(&b, "%d.%de%d", rng.IntN(100), rng.IntN(1000), rng.IntN(40)-20)
		case 5:
			fmt.Fprintf(&b, `"2022-09-12T%02d:%02d:%02d"`, rng.IntN(24), rng.IntN(60), rng.IntN(60))
		case 6:
			b.WriteString(`"esc \" \\ \/ \u00e9 \ud83d\ude00 日本"`)
		case 7:
			b.WriteString(`""`)
		default:
			s, _ := json.Marshal(strings.Repeat("x", rng.IntN(30)) + "]}[{,:")
			b.Write(s)
		}
	}
	ws := func() {
		if rng.IntN(4) == 0 {
			b.WriteString([]string{" ", "\n  ", "\t", "\r\n"}[rng.IntN(4)])
		}
	}
	object := func(depth int, keys []string, val func(k string)) {
		rng.Shuffle(len(keys), func(i, j int) { keys[i], keys[j] = keys[j], keys[i] })
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteByte(',')
			}
			ws()
			fmt.Fprintf(&b, "%q", k)
			ws()
			b.WriteByte(':')
			ws()
			val(k)
		}
		b.WriteByte('}')
	}
	value = func(depth int) {
		if depth > 3 || rng.IntN(3) > 0 {
			scalar()
			return
		}
		if rng.IntN(2) == 0 {
			b.WriteByte('[')
			for i := range rng.IntN(4) {
				if i > 0 {
					b.WriteByte(',')
				}
				value(depth + 1)
			}
			b.WriteByte(']')
			return
		}
		object(depth, []string{"timestamp", "x", "v"}[:1+rng.IntN(3)], func(string) { value(depth + 1) })
	}
	element := func() {
		keys := []string{"timestamp", "type", "seq", "attrs"}[:2+rng.IntN(3)]
		object(2, keys, func(k string) {
			switch k {
			case "attrs":
				object(3, []string{"v", "timestamp", "path"}, func(k string) {
					if k == "v" && rng.IntN(2) == 0 {
						b.WriteByte('[')
						for i := range rng.IntN(4) {
							if i > 0 {
								b.WriteByte(',')
							}
							value(4)
						}
						b.WriteByte(']')
						return
					}
					value(4)
				})
			default:
				value(3)
			}
		})
	}
	if rng.IntN(8) == 0 { // a top-level array
		b.WriteByte('[')
		for i := range rng.IntN(5) {
			if i > 0 {
				b.WriteByte(',')
			}
			value(1)
		}
		b.WriteByte(']')
		return b.Bytes()
	}
	object(0, []string{"status", "data", "messages", "timestamp"}, func(k string) {
		switch k {
		case "data":
			object(1, []string{"updates", "resource", "status"}, func(k string) {
				if k != "updates" {
					value(2)
					return
				}
				b.WriteByte('[')
				for i := range rng.IntN(8) {
					if i > 0 {
						b.WriteByte(',')
					}
					ws()
					if rng.IntN(6) == 0 {
						value(2) // not every element is an object
					} else {
						element()
					}
				}
				b.WriteByte(']')
			})
		default:
			value(1)
		}
	})
	return b.Bytes()
}
