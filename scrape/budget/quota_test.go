package budget

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sluicehq/sluice/bench/redistest"
)

// TestQuotaSharedAcrossProcesses: one process notes the server's quota
// (5 requests left in a window that resets in a minute); four processes
// of 4 workers each then take turns at once: exactly 5 get one, every
// later take answers Spent with the wait until the reset. A later
// request's answer in the same window (2 left after it) admits exactly
// 2 more; an old answer arriving late changes nothing; the next window
// admits its remaining.
func TestQuotaSharedAcrossProcesses(t *testing.T) {
	srv := redistest.Start(t)
	ctx := context.Background()
	bs := make([]*Budget, 4)
	for i := range bs {
		bs[i] = newBudget(t, srv.Client(), Options{})
	}
	first, err := bs[0].Take(ctx)
	if err != nil || first.Seq != 1 || first.Spent {
		t.Fatalf("first take %+v, %v; want seq 1", first, err)
	}
	takeAll := func() (admitted []uint64, spentWait time.Duration) {
		var (
			mu   sync.Mutex
			wg   sync.WaitGroup
			seen atomic.Int64
		)
		for _, b := range bs {
			for range 4 {
				wg.Go(func() {
					for seen.Add(1) <= 40 {
						r, err := b.Take(ctx)
						if err != nil {
							t.Error(err)
							return
						}
						mu.Lock()
						if r.Spent {
							if r.Seq != 0 {
								t.Errorf("spent take with seq %d", r.Seq)
							}
							spentWait = r.Wait
						} else {
							admitted = append(admitted, r.Seq)
						}
						mu.Unlock()
					}
				})
			}
		}
		wg.Wait()
		return admitted, spentWait
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(bs[1].NoteQuota(ctx, 1, 5, 10, time.Minute, 0))
	got, wait := takeAll()
	if len(got) != 5 || wait < 50*time.Second || wait > time.Minute {
		t.Fatalf("after 5 left: %d admitted %v, spent wait %v; want 5, about a minute", len(got), got, wait)
	}
	last := slices.Max(got)
	must(bs[2].NoteQuota(ctx, last-2, 2, 10, time.Minute, 0)) // the answer to an earlier request: nothing new
	if got, _ := takeAll(); len(got) != 0 {
		t.Fatalf("a stale answer admitted %d", len(got))
	}
	must(bs[2].NoteQuota(ctx, last, 2, 10, time.Minute, 0))
	if got, _ := takeAll(); len(got) != 2 {
		t.Fatalf("2 left after the last request: %d admitted", len(got))
	}
	must(bs[3].NoteQuota(ctx, last+2, 7, 10, 2*time.Minute, 0)) // the next window
	if got, _ := takeAll(); len(got) != 7 {
		t.Fatalf("a new window with 7 left: %d admitted", len(got))
	}
}
