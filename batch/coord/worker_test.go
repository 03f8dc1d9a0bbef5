package coord

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/batch"
	"github.com/sluicehq/sluice/bench/mockapi"
	"github.com/sluicehq/sluice/bench/redistest"
	"github.com/sluicehq/sluice/scrape"
	"github.com/sluicehq/sluice/store"
)

func testJob(t *testing.T, n int) batch.Job {
	t.Helper()
	mock, err := mockapi.Start(mockapi.Config{Seed: 5, Sizes: mockapi.SizeDist{Kind: mockapi.SizeFixed, Min: 4000, Max: 4000}}, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mock.Close() })
	nodes := make([]string, n)
	for i := range nodes {
		nodes[i] = fmt.Sprintf("AS%d", i+1)
	}
	return batch.Job{Nodes: nodes, Out: filepath.Join(t.TempDir(), "out"), BatchSize: 10,
		Scrape: scrape.Options{URL: mock.URL + mockapi.DataPath + "?resource={node}", MaxAttempts: 2}}
}

// TestPoisonBatchIsQuarantined: batch 0 was handed out twice and both
// holders died (their entries aged past the lease timeout); with
// MaxDeliveries 2 the third delivery dead-letters its nodes with the
// reason instead of fetching them, and the rest of the run finishes.
func TestPoisonBatchIsQuarantined(t *testing.T) {
	srv := redistest.Start(t)
	rdb := srv.Client()
	ctx := context.Background()
	j := testJob(t, 30)
	p, err := j.Plan()
	if err != nil {
		t.Fatal(err)
	}
	qo := Options{LeaseTimeout: time.Minute, MaxDeliveries: 2}
	for i, name := range []string{"dead1", "dead2"} {
		o := qo
		o.Consumer = name
		q, err := New(rdb, RunName(p), o)
		if err != nil {
			t.Fatal(err)
		}
		if err := q.Enqueue(ctx, p.NumBatches(), fingerprint(p)); err != nil {
			t.Fatal(err)
		}
		l := mustLease(t, q)
		if l.Batch != 0 || l.Deliveries != int64(i+1) {
			t.Fatalf("%s leased %+v; want batch 0, delivery %d", name, l, i+1)
		}
		age(t, rdb, q, l, name, 2*time.Minute)
	}
	res, err := RunJob(ctx, rdb, j, WorkerOptions{Queue: qo})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Finalized || res.Batches != 3 {
		t.Fatalf("result %+v; want 3 batches and the finalize", res)
	}
	dead, err := store.ReadDeadLetters(j.Out)
	if err != nil {
		t.Fatal(err)
	}
	if len(dead) != 10 {
		t.Fatalf("%d dead letters; want batch 0's 10", len(dead))
	}
	for _, d := range dead {
		if d.Batch != 0 || !strings.Contains(d.Error, "quarantined") {
			t.Fatalf("dead letter %+v; want batch 0, quarantined", d)
		}
	}
	n := 0
	if err := store.ReadRecords(j.Out, func(store.Record) error { n++; return nil }); err != nil || n != 20 {
		t.Fatalf("%d records, %v; want the 20 of batches 1 and 2", n, err)
	}
	if v := rdb.HGet(ctx, keysOf(RunName(p)).stats, "quarantined").Val(); v != "1" {
		t.Fatalf("quarantined counter %q; want 1", v)
	}
}

// TestTwoRunsShareOneBudget: yesterday's unfinished run and today's run
// are two runs (two queues) but, against one API, one budget: every
// request of both took its reservation from it.
func TestTwoRunsShareOneBudget(t *testing.T) {
	srv := redistest.Start(t)
	rdb := srv.Client()
	ctx := context.Background()
	a := testJob(t, 20)
	b := a
	b.Out = filepath.Join(t.TempDir(), "today")
	a.Start, b.Start = "2026-11-20", "2026-11-21"
	pa, _ := a.Plan()
	pb, _ := b.Plan()
	if RunName(pa) == RunName(pb) {
		t.Fatal("two days' jobs got one run name")
	}
	errs := make(chan error, 2)
	for _, j := range []batch.Job{a, b} {
		go func() {
			_, err := RunJob(ctx, rdb, j, WorkerOptions{Budget: "api"})
			errs <- err
		}()
	}
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if v := rdb.HGet(ctx, "sl:budget:{api}", "requests").Val(); v != "40" {
		t.Fatalf("budget reserved %s requests; want the 40 of both runs", v)
	}
}

// TestFinalizeCutShortIsFinishedByARerun: the finalizing process stops
// at each step of the finalize (after the batch files are placed, after
// the dead letters are written); the same command run again finds every
// batch done, finalizes the folder, and it holds every node once.
func TestFinalizeCutShortIsFinishedByARerun(t *testing.T) {
	srv := redistest.Start(t)
	rdb := srv.Client()
	ctx := context.Background()
	for _, step := range []string{"finalize: batch files placed", "finalize: dead letters written"} {
		j := testJob(t, 30)
		run := "cut-" + strings.ReplaceAll(strings.TrimPrefix(step, "finalize: "), " ", "-")
		stop := fmt.Errorf("stopped at %s", step)
		_, err := RunJob(ctx, rdb, j, WorkerOptions{Run: run, hook: func(s string) error {
			if s == step {
				return stop
			}
			return nil
		}})
		if !errors.Is(err, stop) {
			t.Fatalf("%s: first run: %v; want it stopped there", step, err)
		}
		if _, err := os.Stat(filepath.Join(j.Out, "manifest.json")); err == nil {
			t.Fatalf("%s: the manifest was written by a finalize cut short", step)
		}
		res, err := RunJob(ctx, rdb, j, WorkerOptions{Run: run})
		if err != nil || !res.Finalized || res.Batches != 0 {
			t.Fatalf("%s: rerun: %+v, %v; want it to finalize without committing a batch", step, res, err)
		}
		n := 0
		if err := store.ReadRecords(j.Out, func(store.Record) error { n++; return nil }); err != nil || n != 30 {
			t.Fatalf("%s: %d records, %v; want 30", step, n, err)
		}
	}
}
