package record_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/scrape"
	"github.com/sluicehq/sluice/scrape/record"
)

// smallRecording records two attempts of node A and one of node B.
func smallRecording(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	calls := map[string]int{}
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := r.URL.Query().Get("r")
		if calls[n]++; n == "A" && calls[n] == 1 {
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, `{"node":"`+n+`"}`)
	}))
	defer api.Close()
	rec, err := record.Create(dir, record.Options{Template: api.URL + "/x?r={node}"})
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{Transport: rec.Wrap(http.DefaultTransport)}
	for _, n := range []string{"A", "A", "B"} {
		resp, err := c.Get(api.URL + "/x?r=" + n)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestOpenSkipsWhatItCannotTrust(t *testing.T) {
	nodeDir := func(dir, node string) string { return filepath.Join(dir, record.NodesDir, scrape.CaptureName(node)) }
	tests := []struct {
		name    string
		damage  func(t *testing.T, dir string)
		attempt map[string]int // attempts kept per node
		skipped []string       // substrings of Skipped, in order
		err     string         // substring of Open's error
	}{
		{"whole", func(*testing.T, string) {}, map[string]int{"A": 2, "B": 1}, nil, ""},
		{"killed-mid-attempt", func(t *testing.T, dir string) {
			must(t, os.Rename(filepath.Join(nodeDir(dir, "A"), "000002.json"), filepath.Join(nodeDir(dir, "A"), ".000002.json.9.tmp")))
		}, map[string]int{"A": 1, "B": 1}, []string{".000002.json.9.tmp: temporary file", "000002.body.zst: body without metadata"}, ""},
		{"gap", func(t *testing.T, dir string) {
			must(t, os.Remove(filepath.Join(nodeDir(dir, "A"), "000001.json")))
		}, map[string]int{"B": 1}, []string{"A/000001.body.zst: body without metadata", "A/000002.json: attempt 2 follows a missing or skipped attempt 1"}, ""},
		{"short-body", func(t *testing.T, dir string) {
			must(t, os.Truncate(filepath.Join(nodeDir(dir, "B"), "000001.body.zst"), 3))
		}, map[string]int{"A": 2}, []string{"000001.json: body file 000001.body.zst is not the size recorded"}, ""},
		{"bad-metadata", func(t *testing.T, dir string) {
			must(t, os.WriteFile(filepath.Join(nodeDir(dir, "B"), "000001.json"), []byte(`{"node":"B","seq":1,"end":"exploded"}`), 0o644))
		}, map[string]int{"A": 2}, []string{"B/000001.body.zst: body without metadata", `B/000001.json: metadata: unknown end "exploded"`}, ""},
		{"newer-version", func(t *testing.T, dir string) {
			rewrite(t, filepath.Join(dir, record.IndexFile), `"version": 1`, `"version": 99`)
		}, nil, nil, "version 99, this sluice reads up to 1; use a newer sluice"},
		{"no-index", func(t *testing.T, dir string) {
			must(t, os.Remove(filepath.Join(dir, record.IndexFile)))
		}, nil, nil, "not a recording: no index.json"},
		{"legacy", func(t *testing.T, dir string) {
			must(t, os.Remove(filepath.Join(dir, record.IndexFile)))
			must(t, os.WriteFile(filepath.Join(dir, "AS1"+scrape.CaptureExt), nil, 0o644))
		}, nil, nil, "old --capture bodies"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := smallRecording(t)
			tt.damage(t, dir)
			f, err := record.Open(dir)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("Open = %v, want an error with %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for node, n := range tt.attempt {
				if got := len(f.Attempts[node]); got != n {
					t.Errorf("node %s: %d attempts kept, want %d", node, got, n)
				}
			}
			if len(f.Attempts) != len(tt.attempt) {
				t.Errorf("nodes %v, want %v", f.Nodes(), tt.attempt)
			}
			if len(f.Skipped) != len(tt.skipped) {
				t.Fatalf("skipped %v, want %q", f.Skipped, tt.skipped)
			}
			for i, want := range tt.skipped {
				if !strings.Contains(f.Skipped[i].String(), want) {
					t.Errorf("skipped[%d] = %s, want %q", i, f.Skipped[i], want)
				}
			}
		})
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func rewrite(t *testing.T, path, old, new string) {
	t.Helper()
	b, err := os.ReadFile(path)
	must(t, err)
	if !strings.Contains(string(b), old) {
		t.Fatalf("%s lacks %q", path, old)
	}
	must(t, os.WriteFile(path, []byte(strings.Replace(string(b), old, new, 1)), 0o644))
}
