package store

import (
	"bytes"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// seedFiles returns the files of testdata/run with the given suffix.
func seedFiles(f *testing.F, suffix string) [][]byte {
	entries, err := os.ReadDir(filepath.Join("testdata", "run"))
	if err != nil {
		f.Fatal(err)
	}
	var seeds [][]byte
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), suffix) {
			data, err := os.ReadFile(filepath.Join("testdata", "run", e.Name()))
			if err != nil {
				f.Fatal(err)
			}
			seeds = append(seeds, data)
		}
	}
	return seeds
}

// FuzzDecodeBatch: any bytes either decode to valid records that encode
// back to a file decoding to the same records, or give an error that
// names the file; never a panic.
func FuzzDecodeBatch(f *testing.F) {
	enc, err := newEncoder()
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range seedFiles(f, batchSuffix) {
		f.Add(s)
	}
	f.Add(enc.EncodeAll([]byte(`{"node":"AS1","count":0,"invalid":0,"first":null,"last":null,"bytes":0,"attempts":0,"duration_ms":0,"mode":""}`+"\n{"), nil))
	f.Add(enc.EncodeAll([]byte("\n\n"), nil))
	f.Add([]byte{0x28, 0xb5, 0x2f, 0xfd})
	f.Fuzz(func(t *testing.T, data []byte) {
		recs, err := decodeBatchBytes(data, "f.ndjson.zst")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "f.ndjson.zst: ") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		again, err := encodeBatch(enc, recs)
		if err != nil {
			t.Fatalf("decoded records do not encode: %v", err)
		}
		back, err := decodeBatchBytes(again, "again")
		if err != nil {
			t.Fatalf("re-encoded records do not decode: %v", err)
		}
		want := map[string]Record{}
		for _, r := range recs {
			want[r.Node] = r
		}
		got := map[string]Record{}
		for _, r := range back {
			got[r.Node] = r
		}
		if len(back) != len(recs) || !maps.EqualFunc(got, want, recEqual) {
			t.Fatalf("round trip changed the records:\n got  %+v\n want %+v", back, recs)
		}
	})
}

// FuzzDecodeDead: the same property for the dead-letter file.
func FuzzDecodeDead(f *testing.F) {
	for _, s := range seedFiles(f, ".ndjson") {
		f.Add(s)
	}
	f.Add([]byte(`{"node":"AS1","batch":0,"error":"x","status":503,"attempts":5,"time":"2026-11-21T03:00:00Z"}` + "\n" +
		`{"node":"AS1","batch":1,"error":"y","status":0,"attempts":1,"time":"2026-11-21T03:00:00+01:00"}`))
	f.Add([]byte(`{"node":"AS1","time":"yesterday"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := decodeDead(bytes.NewReader(data), "dead")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "dead: ") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		again, err := encodeDead(m)
		if err != nil {
			t.Fatalf("decoded dead letters do not encode: %v", err)
		}
		back, err := decodeDead(bytes.NewReader(again), "again")
		if err != nil {
			t.Fatalf("re-encoded dead letters do not decode: %v", err)
		}
		if !maps.EqualFunc(back, m, func(a, b DeadLetter) bool {
			return a.Time.Equal(b.Time) && a.Node == b.Node &&
				a.Batch == b.Batch && a.Error == b.Error && a.Status == b.Status && a.Attempts == b.Attempts
		}) {
			t.Fatalf("round trip changed the dead letters:\n got  %+v\n want %+v", back, m)
		}
	})
}

// FuzzReadManifest: any manifest.json either loads into a manifest that
// names only files of the folder and survives a rewrite unchanged, or
// gives an error naming the file.
func FuzzReadManifest(f *testing.F) {
	for _, s := range seedFiles(f, ".json") {
		f.Add(s)
	}
	f.Add([]byte(`{"version":1,"batches":[{"batch":0,"file":"../x","sha256":""}]}`))
	f.Add([]byte(`{"version":1,"dead_letters":{"file":"dead-letter.ndjson","sha256":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := parseManifest(data, manifestName)
		if err != nil {
			if !strings.Contains(err.Error(), manifestName) {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		for _, e := range m.Batches {
			if e.File != batchName(e.Batch) {
				t.Fatalf("accepted file name %q for batch %d", e.File, e.Batch)
			}
		}
		again, err := m.encode()
		if err != nil {
			t.Fatal(err)
		}
		back, err := parseManifest(again, manifestName)
		if err != nil {
			t.Fatalf("rewritten manifest does not load: %v", err)
		}
		if third, _ := back.encode(); !bytes.Equal(third, again) {
			t.Fatalf("rewrite changed the manifest:\n%s\n%s", again, third)
		}
	})
}
