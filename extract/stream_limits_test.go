package extract

import (
	"bytes"
	"errors"
	"io"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/sluicehq/sluice/bench/synth"
	"github.com/sluicehq/sluice/bench/testenv"
)

// truncSample exercises every token kind, on and off the selected paths.
const truncSample = `{"messages":[["info","a \"quoted\" \\ word \u00e9 日本"]],"data":{"resource":"AS3333",` +
	`"updates":[{"type":"A","timestamp":"2022-09-12T08:00:03","attrs":{"path":[3333,-1.5e+3,0],"ok":true,"no":false,"x":null},"seq":17},` +
	`{"times\u0074amp":1663000000.5,"attrs":{}}],"nr_updates":2},"status":"ok","time":"2022-09-13T00:28:59"}`

// TestStreamTruncated cuts the sample at every byte: each cut must be an
// error that wraps io.ErrUnexpectedEOF at the offset where the input ends.
func TestStreamTruncated(t *testing.T) {
	if _, err := collect(t, Options{}, strings.NewReader(truncSample)); err != nil {
		t.Fatalf("whole sample: %v", err)
	}
	for _, paths := range [][]string{{DefaultPath, "status"}, {"messages[*][*]", "data"}, {"none"}} {
		for _, strict := range []bool{false, true} {
			for n := 0; n < len(truncSample); n++ {
				_, err := collect(t, Options{Paths: paths, Strict: strict, BufferSize: 16}, strings.NewReader(truncSample[:n]))
				var se *SyntaxError
				if !errors.As(err, &se) || !errors.Is(err, io.ErrUnexpectedEOF) || se.Offset != int64(n) {
					t.Errorf("%v strict=%v cut at %d (%q): %v; want unexpected end at %d", paths, strict, n, truncSample[max(0, n-10):n], err, n)
				}
			}
		}
	}
}

var errBoom = errors.New("boom")

// failingReader returns its data, then err.
type failingReader struct {
	data []byte
	err  error
}

func (r *failingReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, r.err
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

type stuckReader struct{}

func (stuckReader) Read(p []byte) (int, error) { return 0, nil }

func TestStreamReaderErrors(t *testing.T) {
	doc := `{"status":"ok","data":{"updates":[{"timestamp":1}]}}`
	for _, tc := range []struct {
		name string
		r    func() io.Reader
		want error
		msg  string
	}{
		{"error mid-document", func() io.Reader { return &failingReader{data: []byte(doc[:20]), err: errBoom} }, errBoom, "extract: read at offset 20: boom"},
		{"error with the last data", func() io.Reader {
			return iotest.DataErrReader(&failingReader{data: []byte(doc[:7]), err: errBoom})
		}, errBoom, "read at offset 7"},
		{"error after the whole document", func() io.Reader { return &failingReader{data: []byte(doc), err: errBoom} }, errBoom, "read at offset 52"},
		{"error at once", func() io.Reader { return iotest.ErrReader(errBoom) }, errBoom, "read at offset 0"},
		{"timeout", func() io.Reader { return iotest.TimeoutReader(strings.NewReader(doc)) }, iotest.ErrTimeout, "read at offset 16"},
		{"no progress", func() io.Reader { return stuckReader{} }, io.ErrNoProgress, "read at offset 0"},
	} {
		for _, strict := range []bool{false, true} {
			_, err := collect(t, Options{Paths: []string{DefaultPath, "status"}, Strict: strict, BufferSize: 16}, tc.r())
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("%s (strict=%v): %v; want %v with %q", tc.name, strict, err, tc.want, tc.msg)
			}
			var se *SyntaxError
			if errors.As(err, &se) {
				t.Errorf("%s: a read error must not be a SyntaxError: %v", tc.name, err)
			}
		}
	}
}

// genReader produces head, then n copies of fill, then tail, without
// holding the body.
type genReader struct {
	head, fill, tail string
	n                int
	part             int // 0 head, 1 fill, 2 tail
	off              int
}

func (g *genReader) Read(p []byte) (int, error) {
	total := 0
	for len(p) > 0 {
		var cur string
		switch g.part {
		case 0:
			cur = g.head
		case 1:
			if g.n == 0 {
				g.part, g.off = 2, 0
				continue
			}
			cur = g.fill
		case 2:
			cur = g.tail
		default:
			if total == 0 {
				return 0, io.EOF
			}
			return total, nil
		}
		n := copy(p, cur[g.off:])
		p, total, g.off = p[n:], total+n, g.off+n
		if g.off == len(cur) {
			g.off = 0
			if g.part == 1 {
				g.n--
			} else {
				g.part++
			}
		}
	}
	return total, nil
}

// TestStreamSkipsGiantValues passes 12 MB strings, keys, numbers and
// escapes that no selector asks for, and checks that the buffer never grew.
func TestStreamSkipsGiantValues(t *testing.T) {
	// 12 MB for the plain string (the case of the issue; 1 MB under
	// -race or -short, as the sweeps), 1 MB for the others: far beyond
	// the 64 KiB buffer either way.
	n, m := sweep(12<<20/8, 1<<20/8), 1<<20/8
	for _, tc := range []struct {
		name string
		g    genReader
	}{
		{"giant string", genReader{head: `{"big":"`, fill: "12345678", tail: `","a":1}`, n: n}},
		{"giant escaped string", genReader{head: `{"big":"`, fill: `\\\"[{]}"`[:8], tail: `","a":1}`, n: m}},
		{"giant key on the path", genReader{head: `{"`, fill: "aaaaaaaa", tail: `":[1],"a":1}`, n: m}},
		{"giant escaped key on the path", genReader{head: `{"`, fill: `\u0061aa`, tail: `":[1],"a":1}`, n: m}},
		{"giant number", genReader{head: `{"big":1`, fill: "23456789", tail: `,"a":1}`, n: m}},
		{"giant array", genReader{head: `{"big":[0`, fill: `,"[]{}" `, tail: `,1],"a":1}`, n: m}},
	} {
		for _, strict := range []bool{false, true} {
			e, err := New(Options{Paths: []string{"a"}, Strict: strict})
			if err != nil {
				t.Fatal(err)
			}
			g := tc.g
			var got []string
			read, err := e.Run(&g, func(sel int, raw []byte) error {
				got = append(got, string(raw))
				return nil
			})
			if err != nil || len(got) != 1 || got[0] != "1" {
				t.Errorf("%s (strict=%v): %q, %v", tc.name, strict, got, err)
			}
			if want := int64(len(g.head) + len(g.tail) + 8*tc.g.n); read != want {
				t.Errorf("%s: read %d bytes, want %d", tc.name, read, want)
			}
			if size := len(e.sc.(*streamScanner).buf); size != DefaultBufferSize {
				t.Errorf("%s (strict=%v): buffer grew to %d bytes", tc.name, strict, size)
			}
		}
	}
}

func TestStreamDeepNesting(t *testing.T) {
	deep := func(d int) string { return strings.Repeat("[", d) + strings.Repeat("]", d) }
	for _, strict := range []bool{false, true} {
		opts := Options{Paths: []string{"a", "deep[*]"}, Strict: strict, BufferSize: 64}
		doc := `{"skip":` + deep(5000) + `,"a":1,"deep":` + deep(3000) + `}`
		got, err := collect(t, opts, strings.NewReader(doc))
		if err != nil || len(got) != 2 || got[0] != "0:1" || got[1] != "1:"+deep(2999) {
			t.Errorf("strict=%v: 5000-deep skip: %v, %d values", strict, err, len(got))
		}
		// encoding/json's limit: 10000 levels are fine, 10001 are not.
		if _, err := collect(t, opts, strings.NewReader(deep(10000))); err != nil {
			t.Errorf("strict=%v: depth 10000: %v", strict, err)
		}
		_, err = collect(t, opts, strings.NewReader(`{"a":`+deep(10000)+`}`))
		var se *SyntaxError
		if !errors.As(err, &se) || se.Offset != 5+9999 {
			t.Errorf("strict=%v: depth 10001: %v", strict, err)
		}
		// Mismatched deep inside a skipped subtree.
		_, err = collect(t, opts, strings.NewReader(`{"skip":`+strings.Repeat("[", 4000)+"}"))
		if !errors.As(err, &se) || se.Offset != 8+4000 {
			t.Errorf("strict=%v: deep mismatch: %v", strict, err)
		}
	}
}

func TestStreamValueTooLarge(t *testing.T) {
	for _, strict := range []bool{false, true} {
		opts := Options{Paths: []string{"[*]"}, Strict: strict, BufferSize: 16, MaxValueSize: 100}
		ok := `"` + strings.Repeat("x", 98) + `"`
		got, err := collect(t, opts, strings.NewReader(`[`+ok+`,`+ok+`]`))
		if err != nil || len(got) != 2 {
			t.Errorf("strict=%v: value of exactly MaxValueSize: %v", strict, err)
		}
		for _, big := range []string{strings.Repeat("1", 101), `"` + strings.Repeat("y", 99) + `"`, `[` + strings.Repeat("1,", 60) + `1]`, strings.Repeat("9", 200)} {
			e, _ := New(opts)
			doc := `[1,` + big + `,2]`
			var vals int
			_, err := e.Run(iotest.HalfReader(strings.NewReader(doc)), func(int, []byte) error { vals++; return nil })
			if !errors.Is(err, ErrValueTooLarge) || !strings.Contains(err.Error(), "value at offset 3 longer than 100 bytes") {
				t.Errorf("strict=%v: %.20q...: %v", strict, big, err)
			}
			if vals != 1 {
				t.Errorf("strict=%v: %d values before the error, want 1", strict, vals)
			}
			if size := len(e.sc.(*streamScanner).buf); size > 256 {
				t.Errorf("strict=%v: buffer grew to %d for a 100-byte cap", strict, size)
			}
			if _, err := e.Run(strings.NewReader(`[1]`), func(int, []byte) error { return nil }); err != nil {
				t.Fatal(err)
			}
			if size := len(e.sc.(*streamScanner).buf); size != 16 {
				t.Errorf("strict=%v: buffer of %d bytes kept after a run that needed only 16", strict, size)
			}
		}
	}
}

func TestStreamEmitError(t *testing.T) {
	e, err := New(Options{Paths: []string{"[*]"}})
	if err != nil {
		t.Fatal(err)
	}
	var n int
	_, err = e.Run(strings.NewReader(`[1,2,3,4]`), func(sel int, raw []byte) error {
		if n++; string(raw) == "2" {
			return errBoom
		}
		return nil
	})
	if err != errBoom || n != 2 {
		t.Errorf("got %v after %d values; want errBoom, unchanged, after 2", err, n)
	}
}

// TestStreamReuse runs one Extractor over good and bad documents in turn:
// no state (error, offset, depth, buffer contents) may leak between runs.
func TestStreamReuse(t *testing.T) {
	e, err := New(Options{Paths: []string{"a[*]"}, BufferSize: 16})
	if err != nil {
		t.Fatal(err)
	}
	for i, tc := range []struct {
		doc, want string
		off       int64
	}{
		{`{"a":[1,2]}`, "12", -1},
		{`{"a":[[[`, "", 8},
		{`{"a":[3]}`, "3", -1},
		{`{"a":[4]} x`, "4", 10},
		{`{"a":["` + strings.Repeat("z", 40) + `"]}`, `"` + strings.Repeat("z", 40) + `"`, -1},
	} {
		var got bytes.Buffer
		n, err := e.Run(strings.NewReader(tc.doc), func(sel int, raw []byte) error { got.Write(raw); return nil })
		var se *SyntaxError
		switch {
		case tc.off < 0 && err != nil, tc.off >= 0 && (!errors.As(err, &se) || se.Offset != tc.off):
			t.Errorf("run %d: %v, want offset %d", i, err, tc.off)
		case got.String() != tc.want || n != int64(len(tc.doc)):
			t.Errorf("run %d: values %q, read %d; want %q, %d", i, got.String(), n, tc.want, len(tc.doc))
		}
	}
}

// TestStreamAllocs holds the scanner to zero allocations per run once its
// buffer exists, so to zero per value.
func TestStreamAllocs(t *testing.T) {
	body := smallRIPEBody().data[:1<<20]
	body = append(bytes.TrimRight(body[:bytes.LastIndex(body, []byte(`},{`))+1], ","), `]}}`...)
	for _, strict := range []bool{false, true} {
		e, err := New(Options{Paths: []string{DefaultPath, "status"}, Strict: strict})
		if err != nil {
			t.Fatal(err)
		}
		r := bytes.NewReader(body)
		var n int
		emit := func(int, []byte) error { n++; return nil }
		allocs := testing.AllocsPerRun(5, func() {
			r.Reset(body)
			if _, err := e.Run(r, emit); err != nil {
				t.Fatal(err)
			}
		})
		if allocs != 0 || n < 5000 {
			t.Errorf("strict=%v: %v allocations per run of %d values", strict, allocs, n/6)
		}
	}
}

// TestLargeStream streams a body of more than 1 GiB and checks that the
// heap stays flat: memory is O(buffer), not O(body). Run with
// SLUICE_LARGE=1.
func TestLargeStream(t *testing.T) {
	testenv.SkipUnlessLarge(t, "stream a 1 GiB body")
	o := synth.Options{Resource: "193.0.0.0/21", Seed: 3, Updates: synth.UpdatesForSize(1<<30 + 1<<27)}
	truth := o.Truth()
	for _, strict := range []bool{false, true} {
		e, err := New(Options{Paths: []string{DefaultPath, "status"}, Strict: strict})
		if err != nil {
			t.Fatal(err)
		}
		runtime.GC()
		var before, now runtime.MemStats
		runtime.ReadMemStats(&before)
		var count int64
		var peak uint64
		n, err := e.Run(synth.NewReader(o), func(sel int, raw []byte) error {
			if sel == 0 {
				if count++; count%(1<<20) == 0 {
					runtime.ReadMemStats(&now)
					peak = max(peak, now.HeapInuse)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		runtime.ReadMemStats(&now)
		if n < 1<<30 || count != truth.Count {
			t.Fatalf("strict=%v: read %d bytes, %d values; want > 1 GiB, %d", strict, n, count, truth.Count)
		}
		if grew := int64(peak) - int64(before.HeapInuse); grew > 8<<20 {
			t.Errorf("strict=%v: heap in use grew by %d bytes while streaming %d bytes", strict, grew, n)
		}
		if total := now.TotalAlloc - before.TotalAlloc; total > 1<<20 {
			t.Errorf("strict=%v: allocated %d bytes in total for a %d-byte body", strict, total, n)
		}
		t.Logf("strict=%v: %d bytes, %d values, heap peak %d KiB (before %d KiB), allocated %d KiB",
			strict, n, count, peak>>10, before.HeapInuse>>10, (now.TotalAlloc-before.TotalAlloc)>>10)
	}
}

// TestStreamRIPEVariants reads generated RIPEstat bodies in their other
// shapes (pretty-printed, unix timestamps, a failed status) and checks the
// values against the generator's ground truth.
func TestStreamRIPEVariants(t *testing.T) {
	for _, o := range []synth.Options{
		{Resource: "AS3333", Seed: 1, Updates: 2000, Pretty: true},
		{Resource: "193.0.0.0/21", Seed: 2, Updates: 2000, UnixTimestamps: true},
		{Resource: "AS1103", Seed: 3, Updates: 2000, Pretty: true, UnixTimestamps: true, Status: "maintenance"},
		{Resource: "AS0", Seed: 4, Updates: 0},
	} {
		truth := o.Truth()
		wantStatus := `"ok"`
		if o.Status != "" {
			wantStatus = `"` + o.Status + `"`
		}
		for _, strict := range []bool{false, true} {
			e, err := New(Options{Paths: []string{DefaultPath, "status", "data.nr_updates"}, Strict: strict, BufferSize: 4096})
			if err != nil {
				t.Fatal(err)
			}
			var tally Tally
			var status, nr string
			_, err = e.Run(synth.NewReader(o), func(sel int, raw []byte) error {
				switch sel {
				case 0:
					tally.Add(raw)
				case 1:
					status = string(raw)
				case 2:
					nr = string(raw)
				}
				return nil
			})
			if err != nil {
				t.Fatalf("%+v strict=%v: %v", o, strict, err)
			}
			if tally.Count != truth.Count || tally.Invalid != 0 || truth.Count > 0 && (tally.First != truth.First || tally.Last != truth.Last) {
				t.Errorf("%+v strict=%v: tally %d (invalid %d) [%d, %d], truth %d [%d, %d]", o, strict,
					tally.Count, tally.Invalid, tally.First, tally.Last, truth.Count, truth.First, truth.Last)
			}
			if status != wantStatus || nr != strconv.FormatInt(truth.Count, 10) {
				t.Errorf("%+v strict=%v: status %s, nr_updates %s", o, strict, status, nr)
			}
		}
	}
}
