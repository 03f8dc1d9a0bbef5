package store

import (
	"testing"
	"time"
)

// Run summaries survive a reopen, the newest maxRuns of them, and leave
// the batches alone.
func TestRecordRun(t *testing.T) {
	dir := t.TempDir()
	r := openRun(t, dir, nil)
	if err := r.CommitBatch(0, []Record{rec("AS1", 3)}, nil); err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 12, 1, 2, 0, 0, 0, time.FixedZone("CET", 3600))
	for i := range maxRuns + 2 {
		s := RunSummary{Start: start.Add(time.Duration(i) * time.Hour), End: start.Add(time.Duration(i)*time.Hour + time.Minute),
			DurationSeconds: 60, Nodes: RunNodes{Planned: 1, OK: int64(i)}, ExitStatus: i % 2,
			ByStatus: map[string]int64{"200": 1}}
		if err := r.RecordRun(s); err != nil {
			t.Fatal(err)
		}
	}
	mustClose(t, r)
	r = openRun(t, dir, nil)
	defer mustClose(t, r)
	runs := r.Runs()
	if len(runs) != maxRuns {
		t.Fatalf("%d runs kept, want %d", len(runs), maxRuns)
	}
	first := runs[0]
	if first.Nodes.OK != 2 || first.Start.Location() != time.UTC || !first.Start.Equal(start.Add(2*time.Hour)) || first.ByStatus["200"] != 1 {
		t.Errorf("oldest kept run %+v, want the third one, in UTC", first)
	}
	if last := runs[len(runs)-1]; last.Nodes.OK != maxRuns+1 || last.ExitStatus != 1 {
		t.Errorf("newest run %+v", last)
	}
	if !r.Completed(0) {
		t.Error("recording runs lost batch 0")
	}
}
