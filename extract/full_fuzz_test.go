//go:build amd64 || arm64

package extract

import (
	"bytes"
	"errors"
	"slices"
	"testing"
)

// FuzzFullMatchesStream: on any input, whenever Full mode accepts a
// document, Stream mode accepts it too and emits the same values in the
// same order; in strict mode both accept and reject exactly the same
// documents.
//
//	go test -fuzz FuzzFullMatchesStream ./extract
func FuzzFullMatchesStream(f *testing.F) {
	for _, tc := range valueCases {
		f.Add([]byte(tc.doc))
	}
	for _, tc := range diffEdgeCases {
		f.Add([]byte(tc.doc))
	}
	paths := []string{DefaultPath, "status", "[*]", "a", "a[*].b"}
	f.Fuzz(func(t *testing.T, doc []byte) {
		for _, strict := range []bool{false, true} {
			full, ferr := fuzzValues(t, Options{Mode: Full, Paths: paths, Strict: strict}, doc)
			stream, serr := fuzzValues(t, Options{Mode: Stream, Paths: paths, Strict: strict}, doc)
			var se *SyntaxError
			if ferr != nil && !errors.As(ferr, &se) && !errors.Is(ferr, ErrValueTooLarge) {
				t.Fatalf("strict %v: full: error %v is not a *SyntaxError", strict, ferr)
			}
			if strict && (ferr == nil) != (serr == nil) {
				t.Fatalf("strict: full err %v, stream err %v", ferr, serr)
			}
			if ferr != nil {
				continue
			}
			if serr != nil {
				t.Fatalf("strict %v: full accepts, stream: %v", strict, serr)
			}
			if !slices.Equal(full, stream) {
				t.Fatalf("strict %v: full %v, stream %v", strict, full, stream)
			}
		}
	})
}

func fuzzValues(t *testing.T, opts Options, doc []byte) ([]modeValue, error) {
	e, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	var got []modeValue
	_, err = e.Run(bytes.NewReader(doc), func(sel int, raw []byte) error {
		got = append(got, modeValue{sel, string(raw)})
		return nil
	})
	return got, err
}
