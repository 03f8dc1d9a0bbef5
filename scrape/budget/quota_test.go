package budget

import (
	"context"
	"slices"
	"strconv"
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

// TestQuotaLateAnswerIsTheSameWindow: an answer noted late (its time to
// the reset read hundreds of ms before Redis ran the script, as on a
// loaded machine) is still of its window. Looser than the window's
// quota, it admits nothing more, and it teaches no window length; the
// next window's answer a minute on does, the window's own length.
func TestQuotaLateAnswerIsTheSameWindow(t *testing.T) {
	srv := redistest.Start(t)
	ctx := context.Background()
	b := newBudget(t, srv.Client(), Options{})
	take := func() (admitted int) {
		for range 20 {
			r, err := b.Take(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if !r.Spent {
				admitted++
			}
		}
		return admitted
	}
	span := func() string {
		v, _ := srv.Client().HGet(ctx, "sl:budget:{api.example}", "qspan").Result()
		return v
	}
	if _, err := b.Take(ctx); err != nil { // request 1
		t.Fatal(err)
	}
	w1 := time.Now().Add(time.Minute)
	if err := b.NoteQuota(ctx, 1, 5, 10, time.Until(w1), 0); err != nil {
		t.Fatal(err)
	}
	if got := take(); got != 5 { // requests 2-6
		t.Fatalf("%d admitted after 5 left; want 5", got)
	}
	for _, late := range []time.Duration{60 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond} {
		// The answer to request 2: 8 left after it, so 6 after request 6.
		if err := b.NoteQuota(ctx, 2, 8, 10, time.Until(w1)+late, 0); err != nil {
			t.Fatal(err)
		}
		if got, s := take(), span(); got != 0 || s != "" {
			t.Fatalf("an answer %v late: %d more admitted, window length %q; want none, unknown", late, got, s)
		}
	}
	if err := b.NoteQuota(ctx, 6, 3, 10, time.Until(w1.Add(time.Minute)), 0); err != nil {
		t.Fatal(err)
	}
	if got, s := take(), span(); got != 3 || s == "" {
		t.Fatalf("the next window with 3 left: %d admitted, window length %q; want 3, about a minute", got, s)
	} else if us, _ := strconv.ParseInt(s, 10, 64); us < (59*time.Second).Microseconds() || us > (61*time.Second).Microseconds() {
		t.Fatalf("window length %d µs; want about a minute", us)
	}
}
