package extract

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// allModes are the option sets every mode-independent test runs: stream at
// a small and the default buffer, strict, full and regex.
var allModes = []Options{
	{Mode: Stream},
	{Mode: Stream, BufferSize: 16},
	{Mode: Stream, Strict: true, BufferSize: 17},
	{Mode: Full},
	{Mode: Full, Strict: true},
	{Mode: Regex},
	{Mode: Regex, BufferSize: 5},
}

func modeName(o Options) string {
	return fmt.Sprintf("%s-strict%v-buf%d", o.Mode, o.Strict, o.BufferSize)
}

// TestReached: every mode reports, per selector, whether its container was
// in the document, and CheckReached names the first one that was not.
func TestReached(t *testing.T) {
	paths := []string{DefaultPath, "status", "data.nr_updates"}
	tests := []struct {
		name    string
		doc     string
		reached []bool
		regex   []bool // Regex mode's answer where it differs (text, not paths)
		err     string // CheckReached's error text, "" for nil
	}{
		{"all there", `{"data":{"updates":[{"timestamp":1}],"nr_updates":1},"status":"ok"}`, []bool{true, true, true}, nil, ""},
		{"empty updates", `{"data":{"updates":[]},"status":"ok"}`, []bool{true, true, true}, nil, ""},
		{"no updates", `{"data":{"nr_updates":0},"status":"ok"}`, []bool{false, true, true}, nil, "path data.updates not found"},
		{"no data", `{"status":"error"}`, []bool{false, true, false}, nil, "path data.updates not found"},
		{"updates is null", `{"data":{"updates":null},"status":"ok"}`, []bool{false, true, true}, nil, "path data.updates not found"},
		{"updates is an object", `{"data":{"updates":{"timestamp":1}}}`, []bool{false, true, true}, nil, "path data.updates not found"},
		{"updates deeper elsewhere", `{"data":{"x":{"updates":[]}},"status":"ok"}`, []bool{false, true, true}, []bool{true, true, true}, "path data.updates not found"},
		{"root is an array", `[{"status":"ok"}]`, []bool{false, false, false}, []bool{false, true, false}, "path data.updates not found"},
		{"key inside a string", `{"note":"\"updates\": [","status":"ok","data":{}}`, []bool{false, true, true}, nil, "path data.updates not found"},
	}
	for _, tc := range tests {
		for _, o := range allModes {
			t.Run(tc.name+"/"+modeName(o), func(t *testing.T) {
				o.Paths = paths
				e, err := New(o)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := e.Run(iotest.HalfReader(strings.NewReader(tc.doc)), func(int, []byte) error { return nil }); err != nil {
					t.Fatal(err)
				}
				want, wantErr := tc.reached, tc.err
				if o.Mode == Regex && tc.regex != nil {
					want = tc.regex
					if want[0] {
						wantErr = ""
					}
				}
				for i := range paths {
					if e.Reached(i) != want[i] {
						t.Errorf("Reached(%d) (%s) = %v, want %v", i, paths[i], e.Reached(i), want[i])
					}
				}
				err = e.CheckReached()
				var me *MissingPathError
				switch {
				case wantErr == "" && err != nil:
					t.Errorf("CheckReached: %v, want nil", err)
				case wantErr != "" && (!errors.As(err, &me) || err.Error() != wantErr || me.Selector != DefaultPath || me.Path != "data.updates"):
					t.Errorf("CheckReached: %#v, want %q", err, wantErr)
				}
			})
		}
	}
}

// TestReachedRoot: a key selector looks in the top-level object; regex
// mode, which does not parse, always reports it reached.
func TestReachedRoot(t *testing.T) {
	for _, o := range allModes {
		o.Paths = []string{"status"}
		e, err := New(o)
		if err != nil {
			t.Fatal(err)
		}
		for _, doc := range []string{`[1]`, `"status"`, `{}`} {
			if _, err := e.Run(strings.NewReader(doc), func(int, []byte) error { return nil }); err != nil {
				t.Fatal(err)
			}
			want := doc == `{}` || o.Mode == Regex
			if e.Reached(0) != want {
				t.Errorf("%s %s: Reached = %v, want %v", modeName(o), doc, e.Reached(0), want)
			}
			if err := e.CheckReached(); !want && (err == nil || err.Error() != "top-level value is not an object (selector status)") {
				t.Errorf("%s %s: CheckReached = %v", modeName(o), doc, err)
			}
		}
	}
}

// TestReachedGivenPattern: Regex mode cannot tell where a given pattern's
// values live, so it reports them reached.
func TestReachedGivenPattern(t *testing.T) {
	e, err := New(Options{Mode: Regex, Patterns: []string{`"ts":(\d+)`}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Run(strings.NewReader(`{}`), func(int, []byte) error { return nil }); err != nil || !e.Reached(0) || e.CheckReached() != nil {
		t.Fatalf("err %v, Reached %v, CheckReached %v", err, e.Reached(0), e.CheckReached())
	}
}

// TestReachedFormatsPath: the path in the error is a selector that finds
// the container.
func TestReachedFormatsPath(t *testing.T) {
	for sel, want := range map[string]string{
		DefaultPath:             "data.updates",
		"data.updates[*]":       "data.updates",
		"a[*][*].b":             "a",
		`a[*]["odd key"][*].ts`: `a[*]["odd key"]`,
		`["x.y"].z`:             `["x.y"]`,
		"a.b.c":                 "a.b",
	} {
		s, err := ParseSelector(sel)
		if err != nil {
			t.Fatal(err)
		}
		if got := containerOf(s.Steps()).path; got != want {
			t.Errorf("container of %s: %s, want %s", sel, got, want)
		}
	}
}

// TestBOM: a UTF-8 byte order mark before the document is skipped in every
// mode, whole, one byte at a time and split across buffer refills; the
// offsets of errors still count it.
func TestBOM(t *testing.T) {
	const doc = `{"data":{"updates":[{"timestamp":"2022-09-12T08:00:03"},{"timestamp":5}]}}`
	bom := utf8BOM + doc
	for _, o := range allModes {
		want, _, err := runMode(t, o, strings.NewReader(doc))
		if err != nil || len(want) != 2 {
			t.Fatalf("%s without BOM: %v %v", modeName(o), want, err)
		}
		for _, r := range []struct {
			name string
			r    io.Reader
		}{
			{"whole", strings.NewReader(bom)},
			{"one byte", iotest.OneByteReader(strings.NewReader(bom))},
			{"split 1+2", &chunkReader{data: []byte(bom), sizes: []int{1, 2, 5}}},
			{"split 2+1", &chunkReader{data: []byte(bom), sizes: []int{2, 1, 7}}},
		} {
			got, n, err := runMode(t, o, r.r)
			if err != nil || n != int64(len(bom)) || fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("%s %s: %v (n=%d) %v, want %v", modeName(o), r.name, got, n, err, want)
			}
		}
	}
	for _, o := range allModes {
		if o.Mode == Regex {
			continue // regex mode does not parse
		}
		for _, tc := range []struct {
			doc string
			off int64
		}{
			{utf8BOM + `{"data":x}`, 11},
			{utf8BOM, 3},
			{utf8BOM + utf8BOM + `{}`, 3}, // one BOM only
			{"\xef\xbb{}", 0},
			{" " + utf8BOM + "{}", 1},
		} {
			_, _, err := runMode(t, o, strings.NewReader(tc.doc))
			var se *SyntaxError
			if !errors.As(err, &se) || se.Offset != tc.off {
				t.Errorf("%s %q: %v, want a *SyntaxError at offset %d", modeName(o), tc.doc, err, tc.off)
			}
		}
	}
}

// TestDeepNestingAllModes: every parsing mode takes valid JSON nested 5,000
// deep, or says that the nesting is past its limit, never that it is
// invalid.
func TestDeepNestingAllModes(t *testing.T) {
	deep := strings.Repeat("[", 5000) + strings.Repeat("]", 5000)
	for _, doc := range []string{deep, `{"skip":` + deep + `,"data":{"updates":[{"timestamp":1}]}}`} {
		for _, o := range allModes {
			if o.Mode == Regex {
				continue
			}
			_, _, err := runMode(t, o, strings.NewReader(doc))
			var se *SyntaxError
			switch {
			case err == nil:
			case errors.As(err, &se) || strings.Contains(err.Error(), "invalid"):
				t.Errorf("%s: valid JSON 5000 deep: %v", modeName(o), err)
			case !strings.Contains(err.Error(), "nesting at offset 4096 is deeper than sonic's limit of 4096") &&
				!strings.Contains(err.Error(), "nesting at offset 4103 is deeper than sonic's limit of 4096"):
				t.Errorf("%s: %v, want it to name the nesting limit", modeName(o), err)
			}
		}
	}
}

// TestOptionErrors: a negative size names the field and its value.
func TestOptionErrors(t *testing.T) {
	for _, tc := range []struct {
		o    Options
		want string
	}{
		{Options{BufferSize: -1}, "extract: Options.BufferSize is -1, want 0 (the default) or more"},
		{Options{MaxValueSize: -2}, "extract: Options.MaxValueSize is -2, want 0 (the default) or more"},
		{Options{MaxBodySize: -3, Mode: Full}, "extract: Options.MaxBodySize is -3, want 0 (the default) or more"},
	} {
		if _, err := New(tc.o); err == nil || err.Error() != tc.want {
			t.Errorf("New(%+v) = %v, want %q", tc.o, err, tc.want)
		}
	}
}

func ExampleExtractor_CheckReached() {
	e, _ := New(Options{}) // data.updates[*].timestamp
	for _, body := range []string{`{"data":{"updates":[]}}`, `{"data":{"renamed":[]}}`} {
		n := 0
		_, err := e.Run(bytes.NewReader([]byte(body)), func(int, []byte) error { n++; return nil })
		if err == nil {
			err = e.CheckReached()
		}
		fmt.Println(n, err)
	}
	// Output:
	// 0 <nil>
	// 0 path data.updates not found
}
