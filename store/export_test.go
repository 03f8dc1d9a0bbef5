package store

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/bench/testenv"
)

// goldenRun is the run behind testdata/run: two planned batches with a
// dead letter each, then a retry that rescues one of them. Nodes are chosen to need CSV
// quoting and JSON escaping.
func goldenRun(t *testing.T, dir string) {
	t.Helper()
	r := openRun(t, dir, nil)
	defer mustClose(t, r)
	must(t, r.SetPlan(6, 2))
	quiet := rec("2001:db8::/32", 0)
	quiet.Invalid = 2
	must(t, r.CommitBatch(0, []Record{rec("AS3333", 5), quiet, rec("193.0.0.0/21", 1)},
		[]DeadLetter{deadLetter(`AS"64500",x`, 503)}))
	must(t, r.CommitBatch(1, []Record{rec("AS13335", 12)}, []DeadLetter{deadLetter("AS64511", 429)}))
	must(t, r.CommitRetry([]Record{rec(`AS"64500",x`, 2)}, nil))
}

// TestGoldenRunFolder pins the on-disk format: a run gives exactly the
// files in testdata/run, so that a change of format (or a loss of
// determinism) shows up here.
func TestGoldenRunFolder(t *testing.T) {
	dir := t.TempDir()
	goldenRun(t, dir)
	golden := filepath.Join("testdata", "run")
	entries, err := os.ReadDir(dir)
	must(t, err)
	if testenv.Update() {
		must(t, os.RemoveAll(golden))
		must(t, os.MkdirAll(golden, 0o755))
	}
	var names []string
	for _, e := range entries {
		if e.Name() == lockName {
			continue // the lock file stays, empty, after Close
		}
		names = append(names, e.Name())
		got, err := os.ReadFile(filepath.Join(dir, e.Name()))
		must(t, err)
		if testenv.Update() {
			must(t, os.WriteFile(filepath.Join(golden, e.Name()), got, 0o644))
			continue
		}
		want, err := os.ReadFile(filepath.Join(golden, e.Name()))
		must(t, err)
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from %s (run with -update if the format changed on purpose)", e.Name(), golden)
		}
	}
	wantNames := []string{batchName(0), batchName(1), batchName(2), deadName, manifestName}
	if strings.Join(names, " ") != strings.Join(wantNames, " ") {
		t.Errorf("run folder holds %q, want %q", names, wantNames)
	}
}

func TestExportGolden(t *testing.T) {
	tests := []struct {
		golden string
		o      ExportOptions
	}{
		{"nodes.csv", ExportOptions{}},
		{"nodes.csv", ExportOptions{Format: "csv"}},
		{"nodes.ndjson", ExportOptions{Format: "ndjson"}},
		{"buckets.csv", ExportOptions{Format: "csv", Bucketed: true}},
		{"buckets.ndjson", ExportOptions{Format: "ndjson", Bucketed: true}},
		{"dense.csv", ExportOptions{Format: "csv", Bucketed: true, Dense: true}},
		{"dense.ndjson", ExportOptions{Format: "ndjson", Bucketed: true, Dense: true}},
	}
	for _, tc := range tests {
		t.Run(tc.golden+"/"+tc.o.Format, func(t *testing.T) {
			var out bytes.Buffer
			must(t, Export(&out, filepath.Join("testdata", "run"), tc.o))
			path := filepath.Join("testdata", "export", tc.golden)
			if testenv.Update() {
				must(t, os.MkdirAll(filepath.Dir(path), 0o755))
				must(t, os.WriteFile(path, out.Bytes(), 0o644))
				return
			}
			want, err := os.ReadFile(path)
			must(t, err)
			if !bytes.Equal(out.Bytes(), want) {
				t.Errorf("Export differs from %s:\n got\n%s\n want\n%s", path, out.Bytes(), want)
			}
		})
	}
}

func TestExportErrors(t *testing.T) {
	// copyRun copies testdata/run, applying edit to the copy.
	copyRun := func(t *testing.T, edit func(dir string)) string {
		dir := t.TempDir()
		entries, err := os.ReadDir(filepath.Join("testdata", "run"))
		must(t, err)
		for _, e := range entries {
			data, err := os.ReadFile(filepath.Join("testdata", "run", e.Name()))
			must(t, err)
			must(t, os.WriteFile(filepath.Join(dir, e.Name()), data, 0o644))
		}
		edit(dir)
		return dir
	}
	// replaceBatch writes a batch file with the given lines as batch 1 and
	// fixes the manifest's checksum, so that only the content is wrong.
	replaceBatch := func(lines string) func(dir string) {
		return func(dir string) {
			enc, err := newEncoder()
			must(t, err)
			data := enc.EncodeAll([]byte(lines), nil)
			must(t, os.WriteFile(filepath.Join(dir, batchName(1)), data, 0o644))
			must(t, editManifest(dir, func(m *manifest) { m.Batches[1].SHA256 = sha256Hex(data) }))
		}
	}
	tests := []struct {
		name string
		dir  func(t *testing.T) string
		o    ExportOptions
		want string
	}{
		{"unknown format", func(t *testing.T) string { return "no-such-dir" }, ExportOptions{Format: "xlsx"}, `unknown export format "xlsx"`},
		{"no run folder", func(t *testing.T) string { return filepath.Join(t.TempDir(), "nope") }, ExportOptions{}, "nope/manifest.json: no such file"},
		{"damaged batch file", func(t *testing.T) string {
			return copyRun(t, func(dir string) {
				must(t, os.WriteFile(filepath.Join(dir, batchName(1)), []byte("junk"), 0o644))
			})
		}, ExportOptions{}, "batch-000001.ndjson.zst: sha256"},
		{"missing batch file", func(t *testing.T) string {
			return copyRun(t, func(dir string) { must(t, os.Remove(filepath.Join(dir, batchName(2)))) })
		}, ExportOptions{}, "batch-000002.ndjson.zst: no such file"},
		{"bad JSON line", func(t *testing.T) string {
			return copyRun(t, replaceBatch(`{"node":"AS1","count":0,"invalid":0,"first":null,"last":null,"bytes":0,"attempts":1,"duration_ms":1,"mode":"stream"}`+"\n{\"node\":\n"))
		}, ExportOptions{}, "batch-000001.ndjson.zst: line 2: offset 8: invalid JSON: unexpected end of line"},
		{"unknown field", func(t *testing.T) string {
			return copyRun(t, replaceBatch(`{"node":"AS1","colour":"red"}`+"\n"))
		}, ExportOptions{Format: "ndjson"}, `batch-000001.ndjson.zst: line 1: json: unknown field "colour"`},
		{"node in two batches", func(t *testing.T) string {
			return copyRun(t, replaceBatch(`{"node":"AS3333","count":0,"invalid":0,"first":null,"last":null,"bytes":0,"attempts":1,"duration_ms":1,"mode":"stream"}`+"\n"))
		}, ExportOptions{}, "batch-000001.ndjson.zst: node AS3333 is also in batch-000000.ndjson.zst"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := Export(&bytes.Buffer{}, tc.dir(t), tc.o)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Export: got %v, want an error containing %q", err, tc.want)
			}
			if tc.name == "unknown format" && !errors.Is(err, ErrUnknownFormat) {
				t.Errorf("error %v does not wrap ErrUnknownFormat", err)
			}
		})
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("pipe closed") }

func TestExportWriteError(t *testing.T) {
	err := Export(failWriter{}, filepath.Join("testdata", "run"), ExportOptions{Format: "ndjson"})
	if err == nil || !strings.Contains(err.Error(), "pipe closed") {
		t.Fatalf("Export to a failing writer: %v", err)
	}
}

// TestExportFarFutureBuckets: milliseconds read as seconds give bucket
// keys past year 9999; they are stored and exported in time order.
func TestExportFarFutureBuckets(t *testing.T) {
	dir := t.TempDir()
	r := openRun(t, dir, nil)
	far := rec("AS1", 3)
	far.Buckets = Buckets{{"54666-07-01T00:00:00Z", 1}, {"9999-12-31T23:00:00Z", 1}, {"2022-09-12T00:00:00Z", 1}} // not in order: the writer sorts
	must(t, r.SetPlan(1, 1))
	must(t, r.CommitBatch(0, []Record{far}, nil))
	mustClose(t, r)
	var out bytes.Buffer
	must(t, Export(&out, dir, ExportOptions{Bucketed: true}))
	want := "node,status,window_start,shard,bucket,count\n" +
		"AS1,ok,2022-09-12T00:00:00Z,,2022-09-12T00:00:00Z,1\nAS1,ok,2022-09-12T00:00:00Z,,9999-12-31T23:00:00Z,1\nAS1,ok,2022-09-12T00:00:00Z,,54666-07-01T00:00:00Z,1\n"
	if out.String() != want {
		t.Errorf("got\n%s\nwant\n%s", out.String(), want)
	}
}
