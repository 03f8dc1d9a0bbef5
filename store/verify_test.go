package store

import (
	"bytes"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// Issue 10 item 2: Open verifies every file the manifest lists, retry
// batches and dead letters included, and the run redoes what a damaged or
// missing file held. Each kind of file is damaged (one byte flipped) and
// deleted in turn; redoing the batches that are no longer Completed, as
// the runner does, gives back the state of the undamaged folder.
func TestDamageEveryKindOfFile(t *testing.T) {
	// batch 0: AS1 ok, AS2 dead; batch 1: AS3 ok; batch 2: AS4 dead, then
	// rescued by --retry-dead into retry batch 3.
	outcome := map[int]func() ([]Record, []DeadLetter){
		0: func() ([]Record, []DeadLetter) { return []Record{rec("AS1", 1)}, []DeadLetter{deadLetter("AS2", 503)} },
		1: func() ([]Record, []DeadLetter) { return []Record{rec("AS3", 3)}, nil },
		2: func() ([]Record, []DeadLetter) { return []Record{rec("AS4", 4)}, nil }, // the refetch succeeds
	}
	build := func(t *testing.T, dir string) {
		r := openRun(t, dir, nil)
		must(t, r.SetPlan(4, 3))
		recs, dead := outcome[0]()
		must(t, r.CommitBatch(0, recs, dead))
		recs, dead = outcome[1]()
		must(t, r.CommitBatch(1, recs, dead))
		must(t, r.CommitBatch(2, nil, []DeadLetter{deadLetter("AS4", 500)}))
		must(t, r.CommitRetry([]Record{rec("AS4", 4)}, nil))
		mustClose(t, r)
	}
	clean := t.TempDir()
	build(t, clean)
	want := readState(t, clean)

	flip := func(path string) error {
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		data[len(data)/2] ^= 0x01
		return os.WriteFile(path, data, 0o644)
	}
	tests := []struct {
		file string
		redo []int // batches no longer Completed
	}{
		{batchName(1), []int{1}}, // a planned batch
		{batchName(3), []int{2}}, // a retry batch: the batch its node came from
		{deadName, []int{0}},     // the dead letters: the batches that had some
		{batchName(0), []int{0}}, // a planned batch with dead letters
	}
	for _, tc := range tests {
		for _, damage := range []struct {
			name string
			do   func(string) error
		}{{"byte flipped", flip}, {"deleted", os.Remove}} {
			t.Run(tc.file+" "+damage.name, func(t *testing.T) {
				dir := t.TempDir()
				build(t, dir)
				must(t, damage.do(filepath.Join(dir, tc.file)))

				var logs bytes.Buffer
				r := openRun(t, dir, &logs)
				var redo []int
				for b := range 3 {
					if !r.Completed(b) {
						redo = append(redo, b)
					}
				}
				if !slices.Equal(redo, tc.redo) {
					t.Fatalf("batches to redo %v, want %v; logs %q", redo, tc.redo, logs.String())
				}
				if !strings.Contains(logs.String(), tc.file) {
					t.Errorf("the logs do not name %s: %q", tc.file, logs.String())
				}
				// Readers see a consistent, smaller state meanwhile, and
				// export refuses it as unfinished.
				readState(t, dir)
				if err := CheckComplete(dir); err == nil {
					t.Error("the damaged run passes as complete")
				}
				for _, b := range redo {
					recs, dead := outcome[b]()
					must(t, r.CommitBatch(b, recs, dead))
				}
				mustClose(t, r)
				got := readState(t, dir)
				if !slices.Equal(slices.Sorted(maps.Keys(got.recs)), slices.Sorted(maps.Keys(want.recs))) ||
					!slices.Equal(slices.Sorted(maps.Keys(got.dead)), slices.Sorted(maps.Keys(want.dead))) {
					t.Fatalf("after the redo:\n got  %v\n want %v", got, want)
				}
				must(t, CheckComplete(dir))
				if bad := leftovers(t, dir); len(bad) > 0 {
					t.Errorf("leftover files %q", bad)
				}
			})
		}
	}
	// The manifest is the commit point and has no checksum of its own: a
	// damaged or deleted one is a clear error naming it, never a silent
	// fresh start over the batch files.
	for _, damage := range []struct {
		name string
		do   func(string) error
		want string
	}{
		{"cut short", func(p string) error { return os.WriteFile(p, []byte("{\"version\":1,"), 0o644) }, "manifest.json"},
		{"deleted", os.Remove, "no manifest.json"},
	} {
		t.Run("manifest "+damage.name, func(t *testing.T) {
			dir := t.TempDir()
			build(t, dir)
			must(t, damage.do(filepath.Join(dir, manifestName)))
			if _, err := Open(dir, testParams, OpenOptions{}); err == nil || !strings.Contains(err.Error(), damage.want) {
				t.Fatalf("Open: %v, want an error containing %q", err, damage.want)
			}
		})
	}
}
