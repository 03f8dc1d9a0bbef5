package coord

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sluicehq/sluice/bench/redistest"
)

// age makes l look silent for d, as if its worker had died d ago: XCLAIM
// with IDLE sets the entry's idle time (to its own holder, JUSTID: the
// delivery count stays). The test's clock, not a sleep.
func age(t *testing.T, rdb *redis.Client, q *Queue, l *Lease, holder string, d time.Duration) {
	t.Helper()
	err := rdb.Do(context.Background(), "XCLAIM", q.k.q, group, holder, 0, l.id,
		"IDLE", d.Milliseconds(), "JUSTID").Err()
	if err != nil {
		t.Fatal(err)
	}
}

func newQueue(t *testing.T, rdb *redis.Client, name string) *Queue {
	t.Helper()
	q, err := New(rdb, "run1", Options{Consumer: name, LeaseTimeout: time.Minute, MaxDeliveries: 2})
	if err != nil {
		t.Fatal(err)
	}
	return q
}

func mustLease(t *testing.T, q *Queue) *Lease {
	t.Helper()
	l, err := q.Lease(context.Background(), 0)
	if err != nil || l == nil {
		t.Fatalf("%s: Lease = %v, %v; want a batch", q.Consumer(), l, err)
	}
	return l
}

func TestQueueLeaseAckTakeoverQuarantine(t *testing.T) {
	srv := redistest.Start(t)
	rdb := srv.Client()
	ctx := context.Background()
	a, b := newQueue(t, rdb, "a"), newQueue(t, rdb, "b")
	for _, q := range []*Queue{a, b} { // the second enqueue adds nothing
		if err := q.Enqueue(ctx, 3, "job1"); err != nil {
			t.Fatal(err)
		}
	}
	if n := rdb.XLen(ctx, a.k.q).Val(); n != 3 {
		t.Fatalf("stream holds %d entries after two enqueues; want 3", n)
	}

	// a leases 0 and 1, b leases 2: each batch once.
	l0, l1, l2 := mustLease(t, a), mustLease(t, a), mustLease(t, b)
	if got := []int{l0.Batch, l1.Batch, l2.Batch}; !slices.Equal(got, []int{0, 1, 2}) {
		t.Fatalf("leased %v; want [0 1 2]", got)
	}
	if l, err := b.Lease(ctx, 0); l != nil || err != nil {
		t.Fatalf("Lease with every batch held = %v, %v; want nil, nil", l, err)
	}

	// a's heartbeat keeps its leases young: nothing to take over.
	age(t, rdb, a, l0, "a", 2*time.Minute)
	if lost, err := a.Heartbeat(ctx, l0, l1); err != nil || lost != nil {
		t.Fatalf("Heartbeat = %v, %v", lost, err)
	}
	if l, err := b.Lease(ctx, 0); l != nil || err != nil {
		t.Fatalf("Lease after a heartbeat = %v, %v; want nothing to take over", l, err)
	}

	// a falls silent on batch 1: b takes it over, and a's next
	// heartbeat learns it lost it without claiming it back.
	age(t, rdb, a, l1, "a", 2*time.Minute)
	t1 := mustLease(t, b)
	if t1.Batch != 1 || !t1.TakenOver || t1.Deliveries != 2 || t1.Poison {
		t.Fatalf("takeover = %+v; want batch 1, taken over, 2 deliveries, not poison", t1)
	}
	lost, err := a.Heartbeat(ctx, l0, l1)
	if !errors.Is(err, ErrLeaseLost) || len(lost) != 1 || lost[0] != l1 {
		t.Fatalf("Heartbeat after takeover = %v, %v; want batch 1 lost", lost, err)
	}
	if p := rdb.XPendingExt(ctx, &redis.XPendingExtArgs{Stream: a.k.q, Group: group, Start: l1.id, End: l1.id, Count: 1}).Val(); p[0].Consumer != "b" || p[0].RetryCount != 2 {
		t.Fatalf("batch 1 pending = %+v; want held by b, 2 deliveries", p)
	}

	// Both finish batch 1: counted once.
	if r, err := a.Ack(ctx, l1, Counts{NodesOK: 5, NodesDead: 1, Requests: 7}); err != nil || !r.First {
		t.Fatalf("first ack = %+v, %v", r, err)
	}
	if r, err := b.Ack(ctx, t1, Counts{NodesOK: 5, NodesDead: 1, Requests: 6}); err != nil || r.First || r.Done != 1 {
		t.Fatalf("second ack = %+v, %v; want not first, 1 done", r, err)
	}

	// b dies holding batch 2, twice: the third delivery is poison.
	age(t, rdb, b, l2, "b", 2*time.Minute)
	l2b := mustLease(t, a)
	age(t, rdb, a, l2b, "a", 2*time.Minute)
	l2c := mustLease(t, b)
	if l2c.Batch != 2 || l2c.Deliveries != 3 || !l2c.Poison {
		t.Fatalf("third delivery = %+v; want batch 2, poison", l2c)
	}
	if _, err := b.Ack(ctx, l2c, Counts{NodesDead: 4}); err != nil {
		t.Fatal(err)
	}
	r, err := a.Ack(ctx, l0, Counts{NodesOK: 3})
	if err != nil || !r.Finished() || r.Done != 3 || r.Total != 3 {
		t.Fatalf("last ack = %+v, %v; want 3 of 3 done", r, err)
	}
	if _, err := b.Lease(ctx, 0); !errors.Is(err, ErrDone) {
		t.Fatalf("Lease after the last ack: %v; want ErrDone", err)
	}
	st := rdb.HGetAll(ctx, a.k.stats).Val()
	want := map[string]string{"batches": "3", "nodes_ok": "8", "nodes_dead": "5", "quarantined": "1", "requests": "13", "status429": "0"}
	for k, v := range want {
		if st[k] != v {
			t.Errorf("stats[%s] = %q; want %q (all: %v)", k, st[k], v, st)
		}
	}
}

// TestLeaseAcksDoneBatch: a batch whose done bit is set but whose entry
// was never acknowledged (a crash between the two in older data, or a
// lost lease acked by its first holder) is acked without work.
func TestLeaseAcksDoneBatch(t *testing.T) {
	srv := redistest.Start(t)
	rdb := srv.Client()
	ctx := context.Background()
	q := newQueue(t, rdb, "a")
	if err := q.Enqueue(ctx, 2, "j"); err != nil {
		t.Fatal(err)
	}
	rdb.SetBit(ctx, q.k.done, 0, 1)
	l := mustLease(t, q)
	if l.Batch != 1 {
		t.Fatalf("leased batch %d; want 1 (0 is done)", l.Batch)
	}
	if n := rdb.XPending(ctx, q.k.q, group).Val().Count; n != 1 {
		t.Fatalf("%d pending; want 1 (batch 0 acked on the way)", n)
	}
}

// TestEnqueueResumes: an enqueue killed half-way (entries 0-4 of 10 in
// the stream, no "enqueued" mark) is finished without duplicates, and a
// different job under the same run name is refused.
func TestEnqueueResumes(t *testing.T) {
	srv := redistest.Start(t)
	rdb := srv.Client()
	ctx := context.Background()
	q := newQueue(t, rdb, "a")
	rdb.HSet(ctx, q.k.meta, "total", 10, "job", "j")
	rdb.XGroupCreateMkStream(ctx, q.k.q, group, "0")
	for i := range 5 {
		rdb.XAdd(ctx, &redis.XAddArgs{Stream: q.k.q, ID: entryID(i), Values: []any{"b", i}})
	}
	if err := q.Enqueue(ctx, 10, "j"); err != nil {
		t.Fatal(err)
	}
	msgs := rdb.XRange(ctx, q.k.q, "-", "+").Val()
	var got []int
	for _, m := range msgs {
		b, _ := batchOf(m.ID)
		got = append(got, b)
	}
	if !slices.Equal(got, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}) {
		t.Fatalf("stream after resumed enqueue: %v", got)
	}
	if err := q.Enqueue(ctx, 11, "j"); err == nil {
		t.Fatal("enqueue of another job's 11 batches under the same run: no error")
	}
}

// TestQueueSurvivesRedisKill: the queue's state after a SIGKILL of the
// server and a restart from its AOF is what was acknowledged before.
func TestQueueSurvivesRedisKill(t *testing.T) {
	srv := redistest.Start(t)
	rdb := srv.Client()
	ctx := context.Background()
	q := newQueue(t, rdb, "a")
	if err := q.Enqueue(ctx, 2, "j"); err != nil {
		t.Fatal(err)
	}
	l0, l1 := mustLease(t, q), mustLease(t, q)
	if _, err := q.Ack(ctx, l0, Counts{NodesOK: 2}); err != nil {
		t.Fatal(err)
	}
	srv.Kill()
	srv.Restart()
	r, err := q.Ack(ctx, l1, Counts{NodesOK: 3})
	if err != nil || !r.First || !r.Finished() {
		t.Fatalf("ack after restart = %+v, %v; want the second of two, first time", r, err)
	}
	if v := rdb.HGet(ctx, q.k.stats, "nodes_ok").Val(); v != "5" {
		t.Fatalf("nodes_ok after restart = %s; want 5", v)
	}
}
