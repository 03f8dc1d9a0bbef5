//go:build amd64 || arm64

package extract

import (
	"errors"
	"io"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/sluicehq/sluice/bench/synth"
)

// fullValues runs Full mode over doc and returns "sel:raw" per value.
func fullValues(t *testing.T, opts Options, r io.Reader) ([]string, error) {
	t.Helper()
	opts.Mode = Full
	e, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	var got []string
	_, err = e.Run(r, func(sel int, raw []byte) error {
		got = append(got, strconv.Itoa(sel)+":"+string(raw))
		return nil
	})
	return got, err
}

// TestFullValues holds Full mode to the stream scanner's value table.
func TestFullValues(t *testing.T) {
	for _, tc := range valueCases {
		for _, strict := range []bool{false, true} {
			t.Run(tc.name+"/strict="+strconv.FormatBool(strict), func(t *testing.T) {
				got, err := fullValues(t, Options{Paths: tc.paths, Strict: strict}, iotest.HalfReader(strings.NewReader(tc.doc)))
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(got, tc.want) {
					t.Fatalf("got %q\nwant %q", got, tc.want)
				}
			})
		}
	}
}

// TestFullErrors checks that every malformed document of the stream
// scanner's table is a *SyntaxError in Full mode too, with the same
// offset and problem (Full mode asks the stream scanner to explain what
// sonic rejects).
func TestFullErrors(t *testing.T) {
	for _, tc := range errorCases {
		for _, strict := range []bool{false, true} {
			if tc.mode == strictOnly && !strict {
				continue
			}
			t.Run(tc.name+"/strict="+strconv.FormatBool(strict), func(t *testing.T) {
				_, err := fullValues(t, Options{Paths: tc.paths, Strict: strict}, strings.NewReader(tc.doc))
				var se *SyntaxError
				if !errors.As(err, &se) {
					t.Fatalf("err = %v; want *SyntaxError", err)
				}
				if se.Offset != tc.offset || !strings.Contains(se.Msg, tc.msg) {
					t.Errorf("err = %v; want offset %d and %q", err, tc.offset, tc.msg)
				}
				if tc.eof && !errors.Is(err, io.ErrUnexpectedEOF) {
					t.Errorf("truncated input: err = %v; want io.ErrUnexpectedEOF", err)
				}
			})
		}
	}
}

func TestFullLimits(t *testing.T) {
	doc := `{"a":"` + strings.Repeat("x", 100) + `","b":1}`
	t.Run("body too large", func(t *testing.T) {
		_, err := fullValues(t, Options{Paths: []string{"b"}, MaxBodySize: 50}, strings.NewReader(doc))
		if !errors.Is(err, ErrBodyTooLarge) {
			t.Fatalf("err = %v; want ErrBodyTooLarge", err)
		}
	})
	t.Run("body at the cap", func(t *testing.T) {
		got, err := fullValues(t, Options{Paths: []string{"b"}, MaxBodySize: int64(len(doc))}, strings.NewReader(doc))
		if err != nil || !slices.Equal(got, []string{"0:1"}) {
			t.Fatalf("got %q, %v", got, err)
		}
	})
	t.Run("value too large", func(t *testing.T) {
		_, err := fullValues(t, Options{Paths: []string{"a"}, MaxValueSize: 50}, strings.NewReader(doc))
		if !errors.Is(err, ErrValueTooLarge) {
			t.Fatalf("err = %v; want ErrValueTooLarge", err)
		}
	})
	t.Run("read error", func(t *testing.T) {
		boom := errors.New("boom")
		_, err := fullValues(t, Options{Paths: []string{"a"}}, io.MultiReader(strings.NewReader(`{"a":`), iotest.ErrReader(boom)))
		if !errors.Is(err, boom) || !strings.Contains(err.Error(), "offset 5") {
			t.Fatalf("err = %v; want boom at offset 5", err)
		}
	})
	t.Run("emit error stops", func(t *testing.T) {
		stop := errors.New("stop")
		e, _ := New(Options{Mode: Full, Paths: []string{"[*]"}})
		calls := 0
		_, err := e.Run(strings.NewReader(`[1,2,3]`), func(int, []byte) error { calls++; return stop })
		if err != stop || calls != 1 {
			t.Fatalf("err = %v after %d calls", err, calls)
		}
	})
}

// TestFullReuse runs one extractor over several bodies: nothing of one
// body leaks into the next.
func TestFullReuse(t *testing.T) {
	e, err := New(Options{Mode: Full, Paths: []string{"[*]"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ doc, want string }{{`[1,2,3]`, "1,2,3"}, {`["x"]`, `"x"`}, {`[]`, ""}, {`[{"a":[1]}]`, `{"a":[1]}`}} {
		var got []string
		n, err := e.Run(strings.NewReader(tc.doc), func(_ int, raw []byte) error { got = append(got, string(raw)); return nil })
		if err != nil || n != int64(len(tc.doc)) || strings.Join(got, ",") != tc.want {
			t.Fatalf("%s: got %q, n=%d, err=%v", tc.doc, got, n, err)
		}
	}
}

// TestFullSonicOnlyError: sonic's validator rejects what the default
// stream scan lets through (a leading zero); the error still has an offset.
func TestFullSonicOnlyError(t *testing.T) {
	_, err := fullValues(t, Options{Paths: []string{"b"}}, strings.NewReader(`{"a":01,"b":2}`))
	var se *SyntaxError
	if !errors.As(err, &se) || se.Offset != 6 {
		t.Fatalf("err = %v; want *SyntaxError at offset 6", err)
	}
}

// TestFullNothingLostQuietly: sonic's iterators stop at a key with a bad
// escape (its skip lets it through); Full mode must say so, not return
// fewer values.
func TestFullNothingLostQuietly(t *testing.T) {
	for _, doc := range []string{`{"\0":"","a":{}}`, `[{"a":1},{"\0":2,"a":3}]`} {
		_, err := fullValues(t, Options{Paths: []string{"a", "[*].a"}}, strings.NewReader(doc))
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("%s: err = %v; want *SyntaxError", doc, err)
		}
	}
}

// TestFullOpenTopLevelString: sonic 1.15 accepts a top-level string left
// open after a multiple of 32 bytes; Full mode must not.
func TestFullOpenTopLevelString(t *testing.T) {
	for _, n := range []int{31, 32, 64} {
		doc := `"` + strings.Repeat("0", n)
		_, err := fullValues(t, Options{Paths: []string{"a"}}, strings.NewReader(doc))
		if !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("%d bytes: err = %v; want unexpected EOF", n, err)
		}
	}
}

// TestFullBodyCapStopsReading: a body over MaxBodySize is refused after
// reading one byte past the cap, not after reading (or holding) all of it.
func TestFullBodyCapStopsReading(t *testing.T) {
	o := synth.Options{Resource: "AS3333", Seed: 1, Updates: synth.UpdatesForSize(1 << 30)} // never rendered whole
	e, err := New(Options{Mode: Full, MaxBodySize: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	n, err := e.Run(synth.NewReader(o), func(int, []byte) error { return nil })
	if !errors.Is(err, ErrBodyTooLarge) || n != 1<<20+1 {
		t.Fatalf("n = %d, err = %v; want %d and ErrBodyTooLarge", n, err, 1<<20+1)
	}
}
