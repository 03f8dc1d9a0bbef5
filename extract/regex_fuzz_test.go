package extract

import (
	"bytes"
	"slices"
	"testing"
)

// FuzzRegexChunks checks the chunked scan against regexp.FindAll on the
// whole input, for the derived pattern and a pattern without a literal
// prefix, at the chunk size the fuzzer picks.
//
//	go test -fuzz FuzzRegexChunks ./extract
func FuzzRegexChunks(f *testing.F) {
	f.Add(regexCorpus(1, 3), uint8(7))
	f.Add([]byte(`{"timestamp":"a\"b","timestamp" : 12e3}`), uint8(1))
	f.Add([]byte(`"timestamp":"2022-09-12 08:00:03é"`), uint8(2))
	patterns := [][]string{
		{`"timestamp"[ \t\r\n]*:[ \t\r\n]*("(?:[^"\\]|\\.)*"|[-+0-9.eE]+|true|false|null)`},
		{`(\d{4}-\d\d-\d\d[T ][\d:.]+)`, `"(t\w+)"`},
	}
	f.Fuzz(func(t *testing.T, in []byte, chunk uint8) {
		for _, pats := range patterns {
			want := stdlibMatches(pats, in)
			e, err := New(Options{Mode: Regex, Patterns: pats, BufferSize: int(chunk) + 1})
			if err != nil {
				t.Fatal(err)
			}
			var got []modeValue
			if _, err := e.Run(bytes.NewReader(in), func(sel int, raw []byte) error {
				got = append(got, modeValue{sel, string(raw)})
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, want) {
				t.Fatalf("patterns %q chunk %d: got %v, want %v", pats, int(chunk)+1, got, want)
			}
		}
	})
}
