package coord

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Lease is one batch handed to this worker. It stays the worker's while
// Heartbeat renews it more often than the lease timeout.
type Lease struct {
	Batch      int    // the batch's index in the plan
	Deliveries int64  // times the batch has been handed out, this one included
	Poison     bool   // delivered more than MaxDeliveries times: dead-letter it, then Ack
	TakenOver  bool   // taken from a worker silent past the lease timeout
	id         string // stream entry ID
}

// ErrLeaseLost is returned by Heartbeat for a lease another worker took
// over: this worker was silent past the lease timeout. Its batch may
// still be committed (every write is keyed by batch) but is now the other
// worker's to ack.
var ErrLeaseLost = errors.New("coord: lease taken over by another worker")

// Lease hands this worker the next batch: first one a silent worker held
// past the lease timeout, else a new one, waiting up to block for one to
// be enqueued. It returns (nil, nil) when there is none now (batches held
// by live workers may still come back), and ErrDone when every batch is
// done. Batches found done are acknowledged on the way, without work.
func (q *Queue) Lease(ctx context.Context, block time.Duration) (*Lease, error) {
	for {
		l, err := q.next(ctx, block)
		if err != nil || l == nil {
			return nil, err
		}
		done, err := q.rdb.GetBit(ctx, q.k.done, int64(l.Batch)).Result()
		if err != nil {
			return nil, fmt.Errorf("coord: lease batch %d: %w", l.Batch, err)
		}
		if done == 1 {
			// Finished by a worker that lost its lease to this one,
			// or acked but not yet XACKed before a crash.
			if err := q.rdb.XAck(ctx, q.k.q, group, l.id).Err(); err != nil {
				return nil, fmt.Errorf("coord: ack done batch %d: %w", l.Batch, err)
			}
			continue
		}
		l.Poison = l.Deliveries > int64(q.o.MaxDeliveries)
		return l, nil
	}
}

// next claims an idle entry or reads a new one.
func (q *Queue) next(ctx context.Context, block time.Duration) (*Lease, error) {
	msgs, _, err := q.rdb.XAutoClaim(ctx, &redis.XAutoClaimArgs{Stream: q.k.q, Group: group,
		Consumer: q.o.Consumer, MinIdle: q.o.LeaseTimeout, Start: "0-0", Count: 1}).Result()
	if err != nil {
		return nil, q.noGroup(fmt.Errorf("coord: take over: %w", err))
	}
	if len(msgs) > 0 {
		id := msgs[0].ID
		p, err := q.rdb.XPendingExt(ctx, &redis.XPendingExtArgs{Stream: q.k.q, Group: group,
			Start: id, End: id, Count: 1}).Result()
		if err != nil || len(p) == 0 {
			return nil, fmt.Errorf("coord: delivery count of %s: %w (%d entries)", id, err, len(p))
		}
		b, err := batchOf(id)
		if err != nil {
			return nil, err
		}
		return &Lease{Batch: b, Deliveries: p[0].RetryCount, TakenOver: true, id: id}, nil
	}
	if ok, err := q.finished(ctx); err != nil || ok {
		if ok {
			err = ErrDone
		}
		return nil, err
	}
	args := &redis.XReadGroupArgs{Group: group, Consumer: q.o.Consumer, Streams: []string{q.k.q, ">"}, Count: 1, Block: block}
	if block <= 0 {
		args.Block = -1 // go-redis: no BLOCK argument
	}
	res, err := q.rdb.XReadGroup(ctx, args).Result()
	switch {
	case errors.Is(err, redis.Nil):
		return nil, nil
	case err != nil:
		return nil, q.noGroup(fmt.Errorf("coord: lease: %w", err))
	case len(res) == 0 || len(res[0].Messages) == 0:
		return nil, nil
	}
	id := res[0].Messages[0].ID
	b, err := batchOf(id)
	if err != nil {
		return nil, err
	}
	return &Lease{Batch: b, Deliveries: 1, id: id}, nil
}

// noGroup explains the error Redis gives before the run is enqueued.
func (q *Queue) noGroup(err error) error {
	if strings.Contains(err.Error(), "NOGROUP") {
		return fmt.Errorf("%w (run %q is not enqueued)", err, q.run)
	}
	return err
}

// finished reports whether every enqueued batch is done.
func (q *Queue) finished(ctx context.Context) (bool, error) {
	total, err := q.rdb.HGet(ctx, q.k.meta, "total").Int64()
	if err != nil {
		return false, fmt.Errorf("coord: run %q total: %w", q.run, err)
	}
	done, err := q.rdb.BitCount(ctx, q.k.done, nil).Result()
	if err != nil {
		return false, fmt.Errorf("coord: run %q done: %w", q.run, err)
	}
	return done >= total, nil
}

// Heartbeat renews leases and records this worker as alive, holding
// them. It returns the leases another worker took over (with
// ErrLeaseLost); the others are renewed. One round trip.
func (q *Queue) Heartbeat(ctx context.Context, leases ...*Lease) ([]*Lease, error) {
	args := make([]any, 0, 3+len(leases))
	holds := make([]string, len(leases))
	for i, l := range leases {
		holds[i] = strconv.Itoa(l.Batch)
	}
	h := strings.Join(holds, ",")
	if h == "" {
		h = "-"
	}
	args = append(args, group, q.o.Consumer, h, q.o.LeaseTimeout.Milliseconds())
	for _, l := range leases {
		args = append(args, l.id)
	}
	lost, err := heartbeat.Run(ctx, q.rdb, []string{q.k.q, q.k.workers, q.k.final}, args...).StringSlice()
	if err != nil {
		return nil, fmt.Errorf("coord: heartbeat: %w", err)
	}
	if len(lost) == 0 {
		return nil, nil
	}
	var out []*Lease
	for _, l := range leases {
		for _, id := range lost {
			if l.id == id {
				out = append(out, l)
			}
		}
	}
	return out, ErrLeaseLost
}

// Counts are what one batch adds to the run's counters.
type Counts struct {
	NodesOK, NodesDead  int64
	Requests, Status429 int64
}

// Acked is what Ack learned.
type Acked struct {
	First bool // this ack marked the batch done (its counts were added)
	Done  int  // batches of the run done
	Total int  // batches of the run
	// Elected: this ack marked the run's last batch done, and this
	// consumer now holds the final lock (Finalize).
	Elected bool
}

// Finished reports whether every batch of the run is done.
func (a Acked) Finished() bool { return a.Done >= a.Total }

// Ack marks l's batch done, with its counts, once the batch's file is
// durably committed. Acking a batch that another worker already finished
// adds nothing; acking a lost lease is allowed (the batch is committed).
func (q *Queue) Ack(ctx context.Context, l *Lease, c Counts) (Acked, error) {
	poison := "0"
	if l.Poison {
		poison = "1"
	}
	r, err := ack.Run(ctx, q.rdb, []string{q.k.q, q.k.done, q.k.stats, q.k.poison, q.k.meta, q.k.final},
		group, l.id, l.Batch, c.NodesOK, c.NodesDead, c.Requests, c.Status429, poison, q.o.Consumer).Int64Slice()
	if err == nil && len(r) != 4 {
		err = fmt.Errorf("script answered %v", r)
	}
	if err != nil {
		return Acked{}, fmt.Errorf("coord: ack batch %d: %w", l.Batch, err)
	}
	return Acked{First: r[0] == 1, Done: int(r[1]), Total: int(r[2]), Elected: r[3] == 1}, nil
}

// Final states of ClaimFinal.
const (
	FinalHeld  = 1 // this worker holds the final lock: finalize, then Finalized
	FinalOther = 0 // another live process holds it
	FinalDone  = 2 // the run is finalized
)

// ClaimFinal asks to finalize a finished run: FinalHeld when this worker
// holds the final lock (elected by its Ack, or taken now because nobody
// holds it: the elected one died and its lock expired), FinalOther when a
// live process holds it, FinalDone when the run is finalized. One round
// trip; holding the lock renews it for the lease timeout.
func (q *Queue) ClaimFinal(ctx context.Context) (int, error) {
	r, err := claimFinal.Run(ctx, q.rdb, []string{q.k.final, q.k.meta}, q.o.Consumer, q.o.LeaseTimeout.Milliseconds()).Int()
	if err != nil {
		return 0, fmt.Errorf("coord: claim the run's finalization: %w", err)
	}
	return r, nil
}

// Finalized records that the run's folder is finalized and drops the
// final lock.
func (q *Queue) Finalized(ctx context.Context) error {
	if err := finalized.Run(ctx, q.rdb, []string{q.k.final, q.k.meta}, q.o.Consumer).Err(); err != nil {
		return fmt.Errorf("coord: mark the run finalized: %w", err)
	}
	return nil
}
