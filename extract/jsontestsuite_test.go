package extract

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"
)

// suiteSelectors cover the three ways the scanner meets a value: skipping it
// whole, descending into it, and capturing it.
var suiteSelectors = [][]string{
	{"nothing.here"},
	{"[*]"},
	{"[*][*]", "a", `["\u0061"][*]`},
}

func loadSuite(t testing.TB) map[string][]byte {
	t.Helper()
	files, err := filepath.Glob("testdata/jsontestsuite/*.json")
	if err != nil || len(files) < 300 {
		t.Fatalf("jsontestsuite: %d files, %v", len(files), err)
	}
	m := make(map[string][]byte, len(files))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		m[filepath.Base(f)] = b
	}
	return m
}

// TestJSONTestSuite holds strict mode to RFC 8259: every y_ case accepted,
// every n_ case rejected with a *SyntaxError, whatever the selectors and
// whether the input comes whole or one byte at a time. Default mode must
// accept every y_ case too, and its values must equal strict mode's.
func TestJSONTestSuite(t *testing.T) {
	for name, doc := range loadSuite(t) {
		for _, paths := range suiteSelectors {
			for _, oneByte := range []bool{false, true} {
				run := func(strict bool) ([]string, error) {
					var r = bytes.NewReader(doc)
					var rd interface{ Read([]byte) (int, error) } = r
					if oneByte {
						rd = iotest.OneByteReader(r)
					}
					return collect(t, Options{Paths: paths, Strict: strict, BufferSize: 16}, rd)
				}
				got, err := run(true)
				switch {
				case strings.HasPrefix(name, "y_") && err != nil:
					t.Errorf("%s %v: strict rejects valid JSON: %v", name, paths, err)
				case strings.HasPrefix(name, "n_") && err == nil:
					t.Errorf("%s %v: strict accepts invalid JSON (values %q)", name, paths, got)
				case strings.HasPrefix(name, "n_") && !isSyntaxOrTooLarge(err):
					t.Errorf("%s %v: error is not a *SyntaxError: %v", name, paths, err)
				}
				lax, laxErr := run(false)
				if strings.HasPrefix(name, "y_") {
					if laxErr != nil {
						t.Errorf("%s %v: default mode rejects valid JSON: %v", name, paths, laxErr)
					} else if strings.Join(lax, "\n") != strings.Join(got, "\n") {
						t.Errorf("%s %v: default mode values %q, strict %q", name, paths, lax, got)
					}
				}
			}
		}
	}
}
