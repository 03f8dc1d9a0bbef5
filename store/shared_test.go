package store

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// sharedPlan is a plan of 3 batches of 4 nodes for the shared-folder
// tests; batch 1 has two dead letters.
var sharedPlan = [][]string{
	{"AS1", "AS2", "AS3", "AS4"},
	{"AS5", "AS6", "AS7", "AS8"},
	{"AS9", "AS10", "AS11", "AS12"},
}

func sharedNodes(b int) []string { return sharedPlan[b] }

// sharedOutcome is batch b's outcome; shift changes every record (a
// second attempt at the batch, with other durations).
func sharedOutcome(b int, shift int64) ([]Record, []DeadLetter) {
	var recs []Record
	var dead []DeadLetter
	for i, n := range sharedPlan[b] {
		if b == 1 && i >= 2 {
			dead = append(dead, deadLetter(n, 500))
			continue
		}
		r := rec(n, int64(10*b+i+1))
		r.DurationMS += shift
		recs = append(recs, r)
	}
	return recs, dead
}

func openShared(t *testing.T, dir string, hook func(string) error) *Shared {
	t.Helper()
	s, err := OpenShared(dir, testParams, SharedOptions{Now: fakeClock(), Hook: hook})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func publishAll(t *testing.T, s *Shared) {
	t.Helper()
	for b := range sharedPlan {
		recs, dead := sharedOutcome(b, 0)
		must(t, s.CommitBatch(b, recs, dead))
	}
}

// TestSharedFirstPublishWins: two processes publish batch 0 with other
// outcomes (the slow holder of a lease and the worker that took it over):
// the first one's files stay, byte for byte, the second adopts them, and
// Published gives the first one's counts to both.
func TestSharedFirstPublishWins(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	a, b := openShared(t, dir, nil), openShared(t, dir, nil)
	recs, dead := sharedOutcome(1, 0)
	must(t, a.CommitBatch(1, recs, dead))
	file := filepath.Join(dir, sharedDir, pairName(1), batchName(1))
	first, err := os.ReadFile(file)
	must(t, err)
	other, _ := sharedOutcome(1, 7)
	must(t, b.CommitBatch(1, other, nil)) // another outcome: every node ok
	again, err := os.ReadFile(file)
	must(t, err)
	if !bytes.Equal(first, again) {
		t.Fatal("the second publish of batch 1 changed its file")
	}
	for _, s := range []*Shared{a, b} {
		p, ok, err := s.Published(1)
		if err != nil || !ok || p.Nodes != 2 || p.Dead != 2 || p.BatchSHA != sha256Hex(first) {
			t.Fatalf("Published(1) = %+v, %v, %v; want the first publish: 2 records, 2 dead", p, ok, err)
		}
	}
	if entries, _ := os.ReadDir(filepath.Join(dir, sharedDir)); len(entries) != 1 {
		t.Fatalf("%d entries under batches/; want batch 1's folder alone (no temporary left)", len(entries))
	}
}

// TestSharedConcurrentPublish: eight goroutines (eight processes' worth
// of handles) publish one batch with eight outcomes at once: exactly one
// outcome is published, and every handle reports it.
func TestSharedConcurrentPublish(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	var wg sync.WaitGroup
	sums := make([]string, 8)
	for i := range sums {
		s := openShared(t, dir, nil)
		wg.Go(func() {
			recs, dead := sharedOutcome(0, int64(i))
			if err := s.CommitBatch(0, recs, dead); err != nil {
				t.Error(err)
				return
			}
			p, _, _ := s.Published(0)
			sums[i] = p.BatchSHA
		})
	}
	wg.Wait()
	data, err := os.ReadFile(filepath.Join(dir, sharedDir, pairName(0), batchName(0)))
	must(t, err)
	for i, s := range sums {
		if s != sha256Hex(data) {
			t.Fatalf("handle %d: published sha256 %s; the file is %s", i, s, sha256Hex(data))
		}
	}
}

// TestSharedFinalizeIsARunFolder: a finalized shared folder is today's
// run folder: export reads every node once, the dead letters are merged,
// and Open resumes it with every batch done.
func TestSharedFinalizeIsARunFolder(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := openShared(t, dir, nil)
	publishAll(t, s)
	must(t, s.Finalize(len(sharedPlan), sharedNodes))
	st := readState(t, dir)
	if len(st.recs) != 10 || len(st.dead) != 2 {
		t.Fatalf("finalized folder: %d records, %d dead; want 10, 2", len(st.recs), len(st.dead))
	}
	r := openRun(t, dir, nil)
	for b := range sharedPlan {
		if !r.Completed(b) {
			t.Fatalf("Open of the finalized folder: batch %d not completed", b)
		}
	}
	if miss, err := r.man.missing(); err != nil || len(miss) != 0 {
		t.Fatalf("plan: missing %v, %v", miss, err)
	}
	mustClose(t, r)
	var csv bytes.Buffer
	if err := Export(&csv, dir, ExportOptions{Format: "csv"}); err != nil {
		t.Fatalf("export: %v", err)
	}
}

// TestSharedFinalizeRefusesAnUnfinishedOrDamagedRun: a batch not
// published, or one that lost a node, is an error naming the batch.
func TestSharedFinalizeRefusesAnUnfinishedOrDamagedRun(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := openShared(t, dir, nil)
	recs, dead := sharedOutcome(0, 0)
	must(t, s.CommitBatch(0, recs, dead))
	if err := s.Finalize(len(sharedPlan), sharedNodes); err == nil || !bytes.Contains([]byte(err.Error()), []byte("batch 1 is not published")) {
		t.Fatalf("finalize of an unfinished run: %v", err)
	}
	recs, dead = sharedOutcome(1, 0)
	must(t, s.CommitBatch(1, recs[:1], dead)) // AS6 is in neither file
	recs, dead = sharedOutcome(2, 0)
	must(t, s.CommitBatch(2, recs, dead))
	err := s.Finalize(len(sharedPlan), sharedNodes)
	if !errors.Is(err, ErrSharedBatch) || !bytes.Contains([]byte(err.Error()), []byte("node AS6 is in neither file")) {
		t.Fatalf("finalize with a node missing: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, manifestName)); err == nil {
		t.Fatal("a refused finalize wrote the manifest")
	}
}

// TestSharedFinalizeCrashAtEveryStep: a finalizer killed at any step,
// then another finalize (another process, or a rerun), gives the same
// bytes as one uninterrupted finalize; two at once do too.
func TestSharedFinalizeCrashAtEveryStep(t *testing.T) {
	t.Parallel()
	ref := t.TempDir()
	var steps []string
	s := openShared(t, ref, func(step string) error { steps = append(steps, step); return nil })
	publishAll(t, s)
	steps = nil
	must(t, s.Finalize(len(sharedPlan), sharedNodes))
	want := finalBytes(t, ref)
	if len(steps) < 4 {
		t.Fatalf("only %d finalize steps: %q", len(steps), steps)
	}
	for i, step := range steps {
		t.Run(fmt.Sprintf("%02d %s", i, step), func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			armed := false
			killed := openShared(t, dir, func(s string) error {
				if armed && s == step {
					return errors.New("killed")
				}
				return nil
			})
			publishAll(t, killed)
			armed = true
			if err := killed.Finalize(len(sharedPlan), sharedNodes); !errors.Is(err, errCrash) {
				t.Fatalf("finalize: %v; want the injected crash", err)
			}
			must(t, openShared(t, dir, nil).Finalize(len(sharedPlan), sharedNodes))
			if got := finalBytes(t, dir); !got.equal(want) {
				t.Fatalf("after a crash at %q and a second finalize:\n%s", step, got.diff(want))
			}
		})
	}
	t.Run("two at once", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		publishAll(t, openShared(t, dir, nil))
		var wg sync.WaitGroup
		for range 2 {
			s := openShared(t, dir, nil)
			wg.Go(func() {
				if err := s.Finalize(len(sharedPlan), sharedNodes); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if got := finalBytes(t, dir); !got.equal(want) {
			t.Fatalf("two finalizers at once:\n%s", got.diff(want))
		}
	})
}

// finalFiles are the top-level files of a finalized folder, by name. A
// killed finalizer's temporary files are not among them: another
// finalizer at work may own them, and Open removes them.
type finalFiles map[string][]byte

func finalBytes(t *testing.T, dir string) finalFiles {
	t.Helper()
	entries, err := os.ReadDir(dir)
	must(t, err)
	f := finalFiles{}
	for _, e := range entries {
		if e.IsDir() || strings.HasPrefix(e.Name(), tempPrefix) {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		must(t, err)
		f[e.Name()] = data
	}
	return f
}

func (f finalFiles) equal(o finalFiles) bool { return f.diff(o) == "" }

func (f finalFiles) diff(o finalFiles) string {
	var d string
	for name, data := range o {
		if !bytes.Equal(f[name], data) {
			d += fmt.Sprintf("%s: %d bytes, want %d\n", name, len(f[name]), len(data))
		}
	}
	for name := range f {
		if _, ok := o[name]; !ok {
			d += fmt.Sprintf("%s: not in the reference\n", name)
		}
	}
	return d
}
