package store

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
)

// The CSV loads as pandas would read it: one header, the same number of
// fields on every row, a type per column, and with --dense a node ×
// bucket pivot without one empty cell.
func TestExportCSVLoads(t *testing.T) {
	var out bytes.Buffer
	must(t, Export(&out, filepath.Join("testdata", "run"), ExportOptions{Bucketed: true, Dense: true}))
	rows, err := csv.NewReader(&out).ReadAll() // fails on a ragged row
	must(t, err)
	if strings.Join(rows[0], ",") != "node,status,window_start,shard,bucket,count" {
		t.Fatalf("header %q", rows[0])
	}
	pivot := map[string]map[string]int64{} // node → bucket → count
	buckets := map[string]bool{}
	for i, r := range rows[1:] {
		if _, err := time.Parse(time.RFC3339, r[2]); err != nil {
			t.Errorf("row %d: window_start %q: %v", i+2, r[2], err)
		}
		switch r[1] {
		case "dead":
			if r[4] != "" || r[5] != "" {
				t.Errorf("row %d: a dead node with a bucket %q", i+2, r)
			}
			continue
		case "ok":
		default:
			t.Errorf("row %d: status %q", i+2, r[1])
		}
		n, err := strconv.ParseInt(r[5], 10, 64)
		if err != nil {
			t.Errorf("row %d: count %q", i+2, r[5])
		}
		if pivot[r[0]] == nil {
			pivot[r[0]] = map[string]int64{}
		}
		pivot[r[0]][r[4]] += n
		buckets[r[4]] = true
	}
	if len(pivot) != 5 || len(buckets) != 24 {
		t.Fatalf("pivot of %d nodes × %d buckets, want 5 × 24 (a day of hours)", len(pivot), len(buckets))
	}
	for node, row := range pivot {
		if len(row) != len(buckets) {
			t.Errorf("node %s: %d of %d buckets: the pivot has holes", node, len(row), len(buckets))
		}
	}
	if pivot["AS3333"]["2022-09-12T01:00:00Z"] != 2 || pivot["AS3333"]["2022-09-12T05:00:00Z"] != 0 {
		t.Errorf("AS3333: %v", pivot["AS3333"])
	}
}

// Several folders of one job export as one table; a folder of another
// job is refused, naming both and the difference.
func TestExportDirs(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "shard1"), filepath.Join(dir, "shard2")
	for i, d := range []string{a, b} {
		p := testParams
		p.Shard = strconv.Itoa(i+1) + "/2"
		r, err := Open(d, p, OpenOptions{})
		must(t, err)
		must(t, r.SetPlan(1, 1))
		must(t, r.CommitBatch(0, []Record{rec("AS"+strconv.Itoa(i+1), 1)}, nil))
		must(t, r.Close())
	}
	var out bytes.Buffer
	must(t, ExportDirs(&out, []string{a, b}, ExportOptions{}))
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 3 || !strings.Contains(lines[1], "AS1,ok,") || !strings.Contains(lines[1], ",1/2,") || !strings.Contains(lines[2], ",2/2,") {
		t.Errorf("export of two shards:\n%s", out.String())
	}
	other := filepath.Join(dir, "other")
	p := testParams
	p.Mode, p.Start, p.End = "regex", "", ""
	r, err := Open(other, p, OpenOptions{})
	must(t, err)
	must(t, r.Close())
	err = ExportDirs(&bytes.Buffer{}, []string{a, other}, ExportOptions{})
	if err == nil || !strings.Contains(err.Error(), "not folders of one job: mode") || !strings.Contains(err.Error(), other) {
		t.Errorf("export of two jobs: %v", err)
	}
	if err := ExportDirs(&bytes.Buffer{}, []string{other}, ExportOptions{Dense: true}); err == nil || !strings.Contains(err.Error(), "--dense") {
		t.Errorf("--dense without a window: %v", err)
	}
}

// exportParquet exports the golden run as Parquet into a file.
func exportParquet(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "run.parquet")
	f, err := os.Create(path)
	must(t, err)
	must(t, Export(f, filepath.Join("testdata", "run"), ExportOptions{Format: "parquet", Dense: true}))
	must(t, f.Close())
	return path
}

// parquet-go reads the file back row for row.
func TestExportParquetRoundTrip(t *testing.T) {
	path := exportParquet(t)
	rows, err := parquet.ReadFile[parquetRow](path)
	must(t, err)
	if len(rows) != 6 {
		t.Fatalf("%d rows, want 6 (5 ok, 1 dead)", len(rows))
	}
	var dead, ok int
	for _, r := range rows {
		switch r.Status {
		case "dead":
			dead++
			if r.Error == nil || r.Count != nil || len(r.Buckets) != 0 {
				t.Errorf("dead row %+v", r)
			}
		case "ok":
			ok++
			var sum int64
			for _, b := range r.Buckets {
				sum += b.Count
			}
			if len(r.Buckets) != 24 || sum != *r.Count {
				t.Errorf("%s: %d buckets summing to %d, count %d", r.Node, len(r.Buckets), sum, *r.Count)
			}
		}
		if r.WindowStart == nil || !r.WindowStart.Equal(time.Date(2022, 9, 12, 0, 0, 0, 0, time.UTC)) {
			t.Errorf("%s: window start %v", r.Node, r.WindowStart)
		}
	}
	if dead != 1 || ok != 5 {
		t.Errorf("%d ok, %d dead", ok, dead)
	}
}

// DuckDB, a reader independent of parquet-go, sees typed columns: UTC
// timestamps, BIGINT counts, buckets as a list of structs.
func TestExportParquetDuckDB(t *testing.T) {
	dir, err := filepath.Abs(filepath.Join("testdata", "duckdb"))
	must(t, err)
	node, err := exec.LookPath("node")
	_, statErr := os.Stat(filepath.Join(dir, "node_modules", "@duckdb", "node-api"))
	if err != nil || statErr != nil {
		msg := "DuckDB check skipped: needs node and `npm ci --prefix store/testdata/duckdb` (.ci/run does it)"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	path := exportParquet(t)
	cmd := exec.Command(node, filepath.Join(dir, "read.mjs"), path)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	data, err := cmd.Output()
	if err != nil {
		t.Fatalf("node read.mjs: %v\n%s", err, stderr.String())
	}
	var got struct {
		Schema []struct {
			Name string `json:"column_name"`
			Type string `json:"column_type"`
		} `json:"schema"`
		Nodes []struct {
			Node        string  `json:"node"`
			Status      string  `json:"status"`
			WindowStart string  `json:"window_start"`
			Count       *string `json:"count"` // DuckDB's JSON gives BIGINT as a string
			First       *string `json:"first"`
			Error       *string `json:"error"`
			NBuckets    *string `json:"nbuckets"`
			BucketSum   *string `json:"bucket_sum"`
			FirstBucket *string `json:"first_bucket"`
		} `json:"nodes"`
		Hourly []struct {
			Cells string `json:"cells"`
		} `json:"hourly"`
	}
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatalf("%v: %s", err, data)
	}
	types := map[string]string{}
	for _, c := range got.Schema {
		types[c.Name] = c.Type
	}
	want := map[string]string{
		"node": "VARCHAR", "status": "VARCHAR", "window_start": "TIMESTAMP WITH TIME ZONE", "shard": "VARCHAR",
		"count": "BIGINT", "invalid": "BIGINT", "first": "TIMESTAMP WITH TIME ZONE", "last": "TIMESTAMP WITH TIME ZONE",
		"bytes": "BIGINT", "attempts": "BIGINT", "error": "VARCHAR", "http_status": "BIGINT",
		"buckets": `STRUCT(bucket TIMESTAMP WITH TIME ZONE, count BIGINT)[]`,
	}
	for name, typ := range want {
		if types[name] != typ {
			t.Errorf("column %s: DuckDB type %q, want %q", name, types[name], typ)
		}
	}
	if len(got.Nodes) != 6 || len(got.Hourly) != 1 || got.Hourly[0].Cells != "120" {
		t.Fatalf("DuckDB read %d nodes, %v bucket cells, want 6 and 120 (5 × 24):\n%s", len(got.Nodes), got.Hourly, data)
	}
	for _, n := range got.Nodes {
		if n.WindowStart != "2022-09-12T00:00:00Z" {
			t.Errorf("%s: window_start %q", n.Node, n.WindowStart)
		}
		switch n.Node {
		case "AS3333":
			if deref(n.Count) != "5" || deref(n.BucketSum) != "5" || deref(n.NBuckets) != "24" || deref(n.First) != "1662940805" || deref(n.FirstBucket) != "2022-09-12T00:00:00Z" {
				t.Errorf("AS3333 as DuckDB reads it: %+v", n)
			}
		case "AS64511":
			if n.Status != "dead" || n.Count != nil || n.Error == nil {
				t.Errorf("dead node as DuckDB reads it: %+v", n)
			}
		}
	}
}

func deref(s *string) string {
	if s == nil {
		return "<null>"
	}
	return *s
}
