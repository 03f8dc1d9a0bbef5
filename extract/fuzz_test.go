package extract

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"testing"
	"testing/iotest"
	"unicode/utf8"
)

// fuzzSelectors are the selector sets FuzzStream picks from: one path, a
// batch of paths, nested paths (a value emitted whole and descended into),
// and escaped keys.
var fuzzSelectors = [][]string{
	{"[*]"},
	{"a"},
	{"a[*].b", "c"},
	{"[*][*]", "[*]"},
	{"data.updates[*].timestamp", "status"},
	{`["\u0061"]`, "a.a", `["a"][*]`},
}

// FuzzStream feeds arbitrary bytes to the stream scanner, whole and in
// chunks, in both modes. Properties: no panic or hang; strict mode accepts
// exactly what encoding/json accepts (after a byte order mark), minus
// invalid UTF-8; on valid input
// both modes emit, per selector, the values of a reference built on
// encoding/json; chunking changes nothing.
func FuzzStream(f *testing.F) {
	for _, doc := range seedDocs(f) {
		for s := range fuzzSelectors {
			f.Add(doc, uint8(s), uint8(0))
		}
		f.Add(doc, uint8(4), uint8(3))
	}
	f.Fuzz(func(t *testing.T, doc []byte, selIdx, chunk uint8) {
		paths := fuzzSelectors[int(selIdx)%len(fuzzSelectors)]
		run := func(strict bool, r io.Reader) ([][]byte, error) {
			e, err := New(Options{Paths: paths, Strict: strict, BufferSize: 16 + int(chunk)})
			if err != nil {
				t.Fatal(err)
			}
			vals := make([][]byte, len(paths))
			_, err = e.Run(r, func(sel int, raw []byte) error {
				if !json.Valid(raw) {
					t.Fatalf("emitted invalid JSON %q", raw)
				}
				vals[sel] = append(vals[sel], raw...)
				vals[sel] = append(vals[sel], '\n')
				return nil
			})
			return vals, err
		}
		strictVals, strictErr := run(true, bytes.NewReader(doc))
		// A byte order mark before the document is skipped (RFC 8259
		// §8.1); encoding/json judges what follows it.
		body := bytes.TrimPrefix(doc, []byte(utf8BOM))
		valid := json.Valid(body) && utf8.Valid(body)
		if valid != (strictErr == nil) {
			t.Fatalf("json.Valid=%v, strict error %v", valid, strictErr)
		}
		if strictErr != nil {
			var se *SyntaxError
			if !errors.As(strictErr, &se) || se.Offset < 0 || se.Offset > int64(len(doc)) {
				t.Fatalf("strict error %v: want *SyntaxError with offset in [0,%d]", strictErr, len(doc))
			}
		}
		chunked, chunkedErr := run(true, &chunkReader{data: doc, sizes: []int{int(chunk%7) + 1, 1, int(chunk) + 1}})
		if fmt.Sprint(chunkedErr) != fmt.Sprint(strictErr) || !reflect.DeepEqual(chunked, strictVals) {
			t.Fatalf("chunked: %q %v, whole: %q %v", chunked, chunkedErr, strictVals, strictErr)
		}
		// The block skip (AVX2 and Go masks) gives the byte loop's values
		// and errors, valid input or not.
		sameAcrossBlocks(t, "fuzz", doc, paths, 16+int(chunk))
		laxVals, laxErr := run(false, iotest.HalfReader(bytes.NewReader(doc)))
		if !valid {
			return
		}
		if laxErr != nil {
			t.Fatalf("default mode rejects valid JSON: %v", laxErr)
		}
		if !reflect.DeepEqual(laxVals, strictVals) {
			t.Fatalf("default mode %q, strict %q", laxVals, strictVals)
		}
		for i, p := range paths {
			sel, _ := ParseSelector(p)
			want, err := referenceValues(body, sel)
			if err != nil {
				t.Fatalf("reference %s: %v", p, err)
			}
			got := decodeLines(t, strictVals[i])
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("selector %s: got %#v, reference %#v", p, got, want)
			}
		}
	})
}

// decodeLines decodes the newline-separated values collected by FuzzStream.
func decodeLines(t *testing.T, b []byte) []any {
	var out []any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	for {
		var v any
		if err := dec.Decode(&v); err == io.EOF {
			return out
		} else if err != nil {
			t.Fatalf("decode emitted %q: %v", b, err)
		}
		out = append(out, v)
	}
}

// referenceValues is the independent reference: encoding/json walks the
// document token by token (which keeps every duplicate key, as a stream
// does) and decodes each selected value into an any.
func referenceValues(doc []byte, sel Selector) ([]any, error) {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	var out []any
	err := refWalk(dec, sel.Steps(), &out)
	return out, err
}

func refWalk(dec *json.Decoder, steps []Step, out *[]any) error {
	if len(steps) == 0 {
		var v any
		if err := dec.Decode(&v); err != nil {
			return err
		}
		*out = append(*out, v)
		return nil
	}
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch tok {
	case json.Delim('{'):
		for dec.More() {
			k, err := dec.Token()
			if err != nil {
				return err
			}
			if !steps[0].Wildcard && k.(string) == steps[0].Key {
				err = refWalk(dec, steps[1:], out)
			} else {
				var skip json.RawMessage
				err = dec.Decode(&skip)
			}
			if err != nil {
				return err
			}
		}
	case json.Delim('['):
		for dec.More() {
			if steps[0].Wildcard {
				err = refWalk(dec, steps[1:], out)
			} else {
				var skip json.RawMessage
				err = dec.Decode(&skip)
			}
			if err != nil {
				return err
			}
		}
	default:
		return nil // a scalar where the path wanted a container: nothing selected
	}
	_, err = dec.Token() // the closing bracket
	return err
}

// chunkReader returns data in reads of the given sizes, cycling.
type chunkReader struct {
	data  []byte
	sizes []int
	n     int
}

func (r *chunkReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	size := min(r.sizes[r.n%len(r.sizes)], len(p), len(r.data))
	r.n++
	n := copy(p, r.data[:size])
	r.data = r.data[n:]
	return n, nil
}

// seedDocs gathers the table tests' documents and the JSONTestSuite cases.
func seedDocs(f *testing.F) [][]byte {
	var docs [][]byte
	for _, tc := range valueCases {
		docs = append(docs, []byte(tc.doc))
	}
	for _, tc := range errorCases {
		docs = append(docs, []byte(tc.doc))
	}
	for _, b := range loadSuite(f) {
		docs = append(docs, b)
	}
	return docs
}
