package store

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestCompletedChecksum(t *testing.T) {
	tests := []struct {
		name   string
		damage func(path string) error
		want   bool
	}{
		{"intact", func(string) error { return nil }, true},
		{"one byte flipped", func(path string) error {
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			data[len(data)/2] ^= 0x40
			return os.WriteFile(path, data, 0o644)
		}, false},
		{"truncated", func(path string) error { return os.Truncate(path, 5) }, false},
		{"missing", os.Remove, false},
		{"replaced by another batch's file", func(path string) error {
			data, err := os.ReadFile(filepath.Join(filepath.Dir(path), batchName(1)))
			if err != nil {
				return err
			}
			return os.WriteFile(path, data, 0o644)
		}, false},
	}
	recs0 := []Record{rec("AS1", 3), rec("AS2", 0)}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			r := openRun(t, dir, nil)
			must(t, r.CommitBatch(0, recs0, []DeadLetter{deadLetter("AS3", 503)}))
			must(t, r.CommitBatch(1, []Record{rec("AS4", 1)}, nil))
			mustClose(t, r)
			path := filepath.Join(dir, batchName(0))
			must(t, tc.damage(path))

			var logs bytes.Buffer
			r = openRun(t, dir, &logs)
			defer mustClose(t, r)
			if got := r.Completed(0); got != tc.want {
				t.Fatalf("Completed(0) = %v, want %v", got, tc.want)
			}
			if !r.Completed(1) {
				t.Error("Completed(1) = false for an intact batch")
			}
			var nodes []string
			must(t, ReadRecords(dir, func(rec Record) error { nodes = append(nodes, rec.Node); return nil }))
			if tc.want {
				return
			}
			if !strings.Contains(logs.String(), "redoing") {
				t.Errorf("no warning about the redo in logs: %q", logs.String())
			}
			// Open took the damaged batch out of the committed state.
			if !slices.Equal(nodes, []string{"AS4"}) {
				t.Errorf("before the redo readers see %q, want batch 1's AS4 only", nodes)
			}
			// The redo gives the file of an uninterrupted run back.
			must(t, r.CommitBatch(0, recs0, []DeadLetter{deadLetter("AS3", 503)}))
			if !r.Completed(0) {
				t.Fatal("Completed(0) = false after the redo")
			}
			s := readState(t, dir)
			if len(s.recs) != 3 || len(s.dead) != 1 {
				t.Errorf("after the redo: %v", s)
			}
		})
	}
}

func TestCompletedUnknownBatches(t *testing.T) {
	dir := t.TempDir()
	r := openRun(t, dir, nil)
	defer mustClose(t, r)
	must(t, r.CommitBatch(2, nil, []DeadLetter{deadLetter("AS1", 500)}))
	must(t, r.CommitRetry([]Record{rec("AS1", 1)}, nil))
	for batch, want := range map[int]bool{-1: false, 0: false, 1: false, 2: true, 3: false} {
		if got := r.Completed(batch); got != want {
			t.Errorf("Completed(%d) = %v, want %v (3 is a retry batch)", batch, got, want)
		}
	}
}

func TestCommitRejects(t *testing.T) {
	bad := rec("AS9", 2)
	bad.Last = nil
	zeroWithFirst := rec("AS8", 0)
	zeroWithFirst.First, zeroWithFirst.Last = ptr(1), ptr(1)
	badBucket := rec("AS7", 1)
	badBucket.Buckets = Buckets{{"", 1}}
	tests := []struct {
		name  string
		batch int
		recs  []Record
		dead  []DeadLetter
		want  string
	}{
		{"negative batch", -1, nil, nil, "negative batch"},
		{"node twice in records", 0, []Record{rec("AS1", 1), rec("AS1", 2)}, nil, "node AS1: given twice"},
		{"node in records and dead letters", 0, []Record{rec("AS1", 1)}, []DeadLetter{deadLetter("AS1", 500)}, "node AS1: given twice"},
		{"empty node", 0, []Record{{Count: 0}}, nil, "record 0: empty node"},
		{"dead letter without node", 0, nil, []DeadLetter{{Error: "x"}}, "dead letter 0: empty node"},
		{"first without last", 0, []Record{bad}, nil, "node AS9: first and last"},
		{"first with count 0", 0, []Record{zeroWithFirst}, nil, "node AS8: first/last must be null"},
		{"empty bucket key", 0, []Record{badBucket}, nil, `node AS7: empty bucket key`},
		{"negative count", 0, []Record{{Node: "AS6", Count: -1}}, nil, "node AS6: negative"},
	}
	dir := t.TempDir()
	r := openRun(t, dir, nil)
	defer mustClose(t, r)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := r.CommitBatch(tc.batch, tc.recs, tc.dead)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("CommitBatch: got %v, want an error containing %q", err, tc.want)
			}
		})
	}
	// Refused input does not break the Run.
	must(t, r.CommitBatch(0, []Record{rec("AS1", 1)}, []DeadLetter{deadLetter("AS2", 500)}))
	if err := r.CommitRetry([]Record{rec("AS1", 1)}, nil); err == nil || !strings.Contains(err.Error(), "node AS1: not dead-lettered") {
		t.Errorf("CommitRetry of a node that is not dead-lettered: %v", err)
	}
	if err := r.CommitRetry(nil, []DeadLetter{deadLetter("AS5", 500)}); err == nil || !strings.Contains(err.Error(), "node AS5: not dead-lettered") {
		t.Errorf("CommitRetry of a dead letter for an unknown node: %v", err)
	}
}

func TestRetryDead(t *testing.T) {
	dir := t.TempDir()
	r := openRun(t, dir, nil)
	defer mustClose(t, r)
	must(t, r.CommitBatch(0, []Record{rec("AS1", 3)}, []DeadLetter{deadLetter("AS2", 503), deadLetter("AS3", 429)}))
	must(t, r.CommitBatch(1, []Record{rec("AS4", 2)}, []DeadLetter{deadLetter("AS5", 500)}))

	// First part of a retry: AS2 succeeds, AS5 fails again.
	still := deadLetter("AS5", 502)
	still.Batch = 99 // ignored: a dead letter keeps the batch of its node
	must(t, r.CommitRetry([]Record{rec("AS2", 7)}, []DeadLetter{still}))
	// Second part: AS3 succeeds.
	must(t, r.CommitRetry([]Record{rec("AS3", 1)}, nil))

	dl, err := r.DeadLetters()
	must(t, err)
	if len(dl) != 1 || dl[0].Node != "AS5" || dl[0].Batch != 1 || dl[0].Status != 502 || dl[0].Time.IsZero() {
		t.Errorf("DeadLetters = %+v, want AS5 of batch 1 with status 502 and a time", dl)
	}
	m, err := readManifest(dir)
	must(t, err)
	var numbers []int
	for _, e := range m.Batches {
		numbers = append(numbers, e.Batch)
		if e.Retry != (e.Batch >= 2) {
			t.Errorf("batch %d: retry = %v", e.Batch, e.Retry)
		}
	}
	if !slices.Equal(numbers, []int{0, 1, 2, 3}) {
		t.Errorf("batches %v, want retries numbered after the highest: [0 1 2 3]", numbers)
	}
	want := totals{Batches: 4, Nodes: 4, DeadLetters: 1, Count: 13, Invalid: 0 + 2 + 1 + 1, Bytes: 190*13 + 4*120}
	if m.Totals != want {
		t.Errorf("totals %+v, want %+v", m.Totals, want)
	}
	if m.DeadLetters.Nodes != 1 {
		t.Errorf("manifest dead_letters.nodes = %d, want 1", m.DeadLetters.Nodes)
	}
	var order []string
	must(t, ReadRecords(dir, func(r Record) error { order = append(order, r.Node); return nil }))
	if !slices.Equal(order, []string{"AS1", "AS4", "AS2", "AS3"}) {
		t.Errorf("ReadRecords order %v, want batch order", order)
	}
}

// TestRerunIsByteIdentical: the same records, in any order, give the same
// batch file; a rerun into a fresh folder gives the same folder.
func TestRerunIsByteIdentical(t *testing.T) {
	recs := []Record{rec("AS3", 5), rec("AS1", 0), rec("AS2", 9)}
	reversed := slices.Clone(recs)
	slices.Reverse(reversed)
	dirs := [2]string{t.TempDir(), t.TempDir()}
	for i, rs := range [][]Record{recs, reversed} {
		r := openRun(t, dirs[i], nil)
		must(t, r.CommitBatch(0, rs, []DeadLetter{deadLetter("AS4", 503)}))
		mustClose(t, r)
	}
	for _, name := range []string{batchName(0), deadName, manifestName} {
		a, err := os.ReadFile(filepath.Join(dirs[0], name))
		must(t, err)
		b, err := os.ReadFile(filepath.Join(dirs[1], name))
		must(t, err)
		if !bytes.Equal(a, b) {
			t.Errorf("%s differs between two runs of the same records", name)
		}
	}
}

func TestBrokenRunRefusesCommits(t *testing.T) {
	dir := t.TempDir()
	r := openRun(t, dir, nil)
	r.hook = func(step string) error {
		if strings.HasPrefix(step, "write manifest.json") {
			return errors.New("disk full")
		}
		return nil
	}
	if err := r.CommitBatch(0, []Record{rec("AS1", 1)}, nil); err == nil {
		t.Fatal("CommitBatch succeeded through a failing step")
	}
	r.hook = nil
	err := r.CommitBatch(1, []Record{rec("AS2", 1)}, nil)
	if err == nil || !strings.Contains(err.Error(), "reopen the folder") {
		t.Fatalf("CommitBatch after a failed commit: %v", err)
	}
	mustClose(t, r)
	r = openRun(t, dir, nil)
	defer mustClose(t, r)
	must(t, r.CommitBatch(1, []Record{rec("AS2", 1)}, nil))
}

// TestDamagedRetryBatch: in a folder of an older sluice, whose manifest
// does not say where a retry batch's nodes came from, a damaged retry
// batch does not hold up the planned batches (even the one that needs its
// number), and readers keep reporting it.
func TestDamagedRetryBatch(t *testing.T) {
	dir := t.TempDir()
	r := openRun(t, dir, nil)
	must(t, r.CommitBatch(0, []Record{rec("AS1", 1)}, []DeadLetter{deadLetter("AS2", 503)}))
	must(t, r.CommitRetry([]Record{rec("AS2", 2)}, nil)) // batch 1
	mustClose(t, r)
	must(t, editManifest(dir, func(m *manifest) { m.Batches[1].From = nil }))
	must(t, os.WriteFile(filepath.Join(dir, batchName(1)), []byte("damaged"), 0o644))

	var logs bytes.Buffer
	r = openRun(t, dir, &logs)
	defer mustClose(t, r)
	must(t, r.CommitBatch(2, []Record{rec("AS3", 3)}, nil))
	must(t, r.CommitBatch(1, []Record{rec("AS4", 4)}, nil)) // moves the damaged retry batch to 3
	if !strings.Contains(logs.String(), "level=ERROR") {
		t.Errorf("damage not logged as an error: %q", logs.String())
	}
	if !r.Completed(1) || !r.Completed(2) {
		t.Error("planned batches 1 and 2 not completed")
	}
	err := ReadRecords(dir, func(Record) error { return nil })
	if err == nil || !strings.Contains(err.Error(), batchName(3)+": sha256") {
		t.Errorf("ReadRecords: got %v, want the damaged retry batch, now %s, reported", err, batchName(3))
	}
}
