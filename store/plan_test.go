package store

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Issue 10 item 3: a run stopped after its first batch is not exported as
// if it were complete.
func TestExportRefusesUnfinishedRun(t *testing.T) {
	tests := []struct {
		name    string
		run     func(t *testing.T, r *Run)
		wantErr string // "" when the run is complete
	}{
		{"no plan recorded", func(t *testing.T, r *Run) {
			must(t, r.CommitBatch(0, []Record{rec("AS1", 1)}, nil))
		}, "records no plan"},
		{"stopped after the first batch", func(t *testing.T, r *Run) {
			must(t, r.SetPlan(30, 3))
			must(t, r.CommitBatch(0, []Record{rec("AS1", 1)}, nil))
		}, "2 of 3 planned batches are not committed (batch 1-2)"},
		{"a gap", func(t *testing.T, r *Run) {
			must(t, r.SetPlan(30, 3))
			must(t, r.CommitBatch(0, []Record{rec("AS1", 1)}, nil))
			must(t, r.CommitBatch(2, []Record{rec("AS3", 1)}, nil))
		}, "1 of 3 planned batches are not committed (batch 1)"},
		{"a retry batch does not stand for a planned one", func(t *testing.T, r *Run) {
			must(t, r.SetPlan(2, 2))
			must(t, r.CommitBatch(0, nil, []DeadLetter{deadLetter("AS1", 500)}))
			must(t, r.CommitRetry([]Record{rec("AS1", 1)}, nil)) // batch 1's number
		}, "1 of 2 planned batches are not committed (batch 1)"},
		{"complete with dead letters", func(t *testing.T, r *Run) {
			must(t, r.SetPlan(3, 2))
			must(t, r.CommitBatch(0, []Record{rec("AS1", 1)}, []DeadLetter{deadLetter("AS2", 500)}))
			must(t, r.CommitBatch(1, []Record{rec("AS3", 1)}, nil))
		}, ""},
		{"nothing planned", func(t *testing.T, r *Run) { must(t, r.SetPlan(0, 0)) }, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			r := openRun(t, dir, nil)
			tc.run(t, r)
			mustClose(t, r)
			var out bytes.Buffer
			err := Export(&out, dir, ExportOptions{})
			if tc.wantErr == "" {
				must(t, err)
				must(t, CheckComplete(dir))
				return
			}
			if !errors.Is(err, ErrIncomplete) || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("Export: %v, want ErrIncomplete saying %q", err, tc.wantErr)
			}
			if out.Len() != 0 {
				t.Errorf("refused export wrote %q", out.String())
			}
			out.Reset()
			must(t, Export(&out, dir, ExportOptions{Partial: true}))
			if !strings.HasPrefix(out.String(), "node,status") || strings.Count(out.String(), "\n") < 2 {
				t.Errorf("partial export: %q", out.String())
			}
		})
	}
}

func TestSetPlan(t *testing.T) {
	dir := t.TempDir()
	r := openRun(t, dir, nil)
	must(t, r.SetPlan(10, 2))
	before := readFile(t, dir, manifestName)
	must(t, r.SetPlan(10, 2)) // the same plan commits nothing
	if !bytes.Equal(before, readFile(t, dir, manifestName)) {
		t.Error("setting the recorded plan again rewrote the manifest")
	}
	if err := r.SetPlan(1, 2); err == nil {
		t.Error("2 batches of 1 node accepted")
	}
	mustClose(t, r)
	m, err := readManifest(dir)
	must(t, err)
	if m.Plan == nil || *m.Plan != (planEntry{Nodes: 10, Batches: 2}) {
		t.Fatalf("plan %+v", m.Plan)
	}
}

func readFile(t *testing.T, dir, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, name))
	must(t, err)
	return data
}
