package coord

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Defaults used where Options leaves a field zero.
const (
	DefaultLeaseTimeout  = 30 * time.Second
	DefaultMaxDeliveries = 3
)

// enqueueChunk is how many XADDs one pipeline carries.
const enqueueChunk = 1000

// Options configures a Queue. The zero value is useful: every zero field
// takes the default its comment gives.
type Options struct {
	// LeaseTimeout is how long a lease lives without a heartbeat before
	// another worker may take the batch over; zero means
	// DefaultLeaseTimeout. Heartbeat at a third of it or more often.
	LeaseTimeout time.Duration
	// MaxDeliveries is how many times a batch may be handed out; the
	// next delivery comes back Poison. Zero means DefaultMaxDeliveries.
	MaxDeliveries int
	// Consumer names this worker in the group; empty means
	// "<host>-<pid>-<random>", unique per process.
	Consumer string
}

// Queue is one run's work queue as seen by one worker. It is safe for
// concurrent use. Most callers want Enqueue once, then Lease, Heartbeat
// and Ack in a loop until Lease returns ErrDone.
type Queue struct {
	rdb redis.UniversalClient
	run string
	k   keys
	o   Options
}

// ErrDone is returned by Lease when every batch of the run is done.
var ErrDone = errors.New("coord: every batch is done")

// New returns the queue of run on rdb. It does not talk to Redis.
func New(rdb redis.UniversalClient, run string, o Options) (*Queue, error) {
	if err := validRun(run); err != nil {
		return nil, err
	}
	switch {
	case o.LeaseTimeout < 0 || o.MaxDeliveries < 0:
		return nil, fmt.Errorf("coord: negative LeaseTimeout %v or MaxDeliveries %d", o.LeaseTimeout, o.MaxDeliveries)
	case o.LeaseTimeout > 0 && o.LeaseTimeout < time.Millisecond:
		return nil, fmt.Errorf("coord: LeaseTimeout %v below Redis's 1 ms resolution", o.LeaseTimeout)
	}
	if o.LeaseTimeout == 0 {
		o.LeaseTimeout = DefaultLeaseTimeout
	}
	if o.MaxDeliveries == 0 {
		o.MaxDeliveries = DefaultMaxDeliveries
	}
	if o.Consumer == "" {
		host, _ := os.Hostname()
		var b [3]byte
		_, _ = rand.Read(b[:])
		o.Consumer = fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b[:]))
	}
	if strings.ContainsAny(o.Consumer, " \n") {
		return nil, fmt.Errorf("coord: consumer name %q has a space or newline", o.Consumer)
	}
	return &Queue{rdb: rdb, run: run, k: keysOf(run), o: o}, nil
}

// Run is the run's name; Consumer is this worker's name in its group.
func (q *Queue) Run() string      { return q.run }
func (q *Queue) Consumer() string { return q.o.Consumer }

// Enqueue puts batches 0..total-1 of the run in its stream, once. job is
// the job's fingerprint: a second process of the same run must bring the
// same total and job, or Enqueue refuses (two jobs under one run name
// would mix their batches). Any number of processes may call it at once:
// one holds the lock and adds the entries, the others wait for it, and a
// holder killed half-way is finished by the next (the stream's last ID
// says where it stopped).
func (q *Queue) Enqueue(ctx context.Context, total int, job string) error {
	if total < 0 {
		return fmt.Errorf("coord: enqueue %d batches", total)
	}
	lockTTL := max(q.o.LeaseTimeout, 10*time.Second)
	wait := 20 * time.Millisecond
	for {
		fin, err := q.checkMeta(ctx, total, job)
		if err != nil || fin {
			return err
		}
		got, err := q.rdb.SetNX(ctx, q.k.enqlock, q.o.Consumer, lockTTL).Result()
		if err != nil {
			return fmt.Errorf("coord: enqueue lock: %w", err)
		}
		if got {
			err := q.enqueueLocked(ctx, total, job)
			if uerr := unlock.Run(ctx, q.rdb, []string{q.k.enqlock}, q.o.Consumer).Err(); err == nil && uerr != nil {
				err = fmt.Errorf("coord: enqueue unlock: %w", uerr)
			}
			return err
		}
		// Another process is enqueueing; its lock expires if it died.
		if err := sleep(ctx, wait); err != nil {
			return err
		}
		wait = min(2*wait, time.Second)
	}
}

// checkMeta reports whether the run is fully enqueued, or an error when
// it was started by another job.
func (q *Queue) checkMeta(ctx context.Context, total int, job string) (bool, error) {
	m, err := q.rdb.HGetAll(ctx, q.k.meta).Result()
	if err != nil {
		return false, fmt.Errorf("coord: read run %q: %w", q.run, err)
	}
	if t, ok := m["total"]; ok && (t != strconv.Itoa(total) || m["job"] != job) {
		return false, fmt.Errorf("coord: run %q holds another job (%s batches, job %s; this one: %d, %s): name this run with --run",
			q.run, t, m["job"], total, job)
	}
	return m["enqueued"] == strconv.Itoa(total), nil
}

func (q *Queue) enqueueLocked(ctx context.Context, total int, job string) error {
	now, err := q.rdb.Time(ctx).Result()
	if err != nil {
		return fmt.Errorf("coord: enqueue: %w", err)
	}
	q.rdb.HSetNX(ctx, q.k.meta, "started", now.UnixMilli())
	if err := q.rdb.HSet(ctx, q.k.meta, "total", total, "job", job, "lease_ms", q.o.LeaseTimeout.Milliseconds()).Err(); err != nil {
		return fmt.Errorf("coord: enqueue: %w", err)
	}
	err = q.rdb.XGroupCreateMkStream(ctx, q.k.q, group, "0").Err()
	if err != nil && !strings.HasPrefix(err.Error(), "BUSYGROUP") {
		return fmt.Errorf("coord: create group: %w", err)
	}
	// Resume after the last entry a killed enqueuer added.
	next := 0
	info, err := q.rdb.XInfoStream(ctx, q.k.q).Result()
	if err != nil {
		return fmt.Errorf("coord: enqueue: %w", err)
	}
	if info.LastGeneratedID != "0-0" {
		last, err := batchOf(info.LastGeneratedID)
		if err != nil {
			return err
		}
		next = last + 1
	}
	for next < total {
		end := min(next+enqueueChunk, total)
		_, err := q.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i := next; i < end; i++ {
				p.XAdd(ctx, &redis.XAddArgs{Stream: q.k.q, ID: entryID(i), Values: []any{"b", i}})
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("coord: enqueue batches %d-%d: %w", next, end-1, err)
		}
		next = end
	}
	if err := q.rdb.HSet(ctx, q.k.meta, "enqueued", total).Err(); err != nil {
		return fmt.Errorf("coord: enqueue: %w", err)
	}
	return nil
}

// CheckServer reports, as readable warnings, the server settings under
// which a run could lose work: no AOF, or an eviction policy that may
// drop the run's keys.
func CheckServer(ctx context.Context, rdb redis.UniversalClient) ([]string, error) {
	cfg, err := rdb.ConfigGet(ctx, "*").Result()
	if err != nil {
		return nil, fmt.Errorf("coord: CONFIG GET: %w", err)
	}
	var warn []string
	if v := cfg["appendonly"]; v != "yes" {
		warn = append(warn, fmt.Sprintf("redis appendonly is %q: a restart of the server loses the run's queue and done bits (set appendonly yes)", v))
	}
	if v := cfg["maxmemory-policy"]; v != "noeviction" {
		warn = append(warn, fmt.Sprintf("redis maxmemory-policy is %q: the server may evict the run's keys (set noeviction)", v))
	}
	return warn, nil
}

// sleep waits for d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
