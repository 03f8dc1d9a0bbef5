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
// later take answers Spent with the wait until the reset. An answer of
// the window that leaves more room changes nothing; the next window
// admits its remaining; an answer in it that leaves less room (2 left
// after request 8, while 5 more were reserved after 8) spends it.
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
	// A server's window ends at a fixed instant: each note gives the
	// time left until it, as an answer read at that moment would.
	w1, w2, w3 := time.Now().Add(time.Minute), time.Now().Add(2*time.Minute), time.Now().Add(3*time.Minute)
	must(bs[1].NoteQuota(ctx, 1, 5, 10, time.Until(w1), 0))
	got, wait := takeAll()
	if len(got) != 5 || wait < 50*time.Second || wait > time.Minute {
		t.Fatalf("after 5 left: %d admitted %v, spent wait %v; want 5, about a minute", len(got), got, wait)
	}
	last := slices.Max(got)                                 // 6
	must(bs[2].NoteQuota(ctx, 3, 4, 10, time.Until(w1), 0)) // looser than 5 after 1
	if got, _ := takeAll(); len(got) != 0 {
		t.Fatalf("a looser answer of the window admitted %d", len(got))
	}
	must(bs[3].NoteQuota(ctx, last, 7, 10, time.Until(w2), 0)) // the next window
	got, _ = takeAll()
	if len(got) != 7 {
		t.Fatalf("a new window with 7 left: %d admitted", len(got))
	}
	must(bs[1].NoteQuota(ctx, last+2, 2, 10, time.Until(w2), 0)) // tighter: 2 left after 8, 5 reserved after it
	if got, _ := takeAll(); len(got) != 0 {
		t.Fatalf("a tighter answer: %d admitted; want none", len(got))
	}
	must(bs[0].NoteQuota(ctx, slices.Max(got), 3, 10, time.Until(w3), 0))
	if got, _ := takeAll(); len(got) != 3 {
		t.Fatalf("a third window with 3 left: %d admitted", len(got))
	}
}
