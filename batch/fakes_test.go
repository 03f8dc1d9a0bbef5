package batch

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/sluicehq/sluice/bench/synth"
	"github.com/sluicehq/sluice/bench/testenv"
	"github.com/sluicehq/sluice/scrape"
	"github.com/sluicehq/sluice/scrape/clock"
	"github.com/sluicehq/sluice/store"
)

func TestMain(m *testing.M) {
	testenv.NoRaceExitSleep()
	goleak.VerifyTestMain(m)
}

// attempt is what the fake Fetcher does on one attempt of a node.
type attempt struct {
	body      synth.Options // the body passed to consume
	truncate  int64         // >0: cut the body after this many bytes
	transport error         // non-nil: the attempt fails before any body
	status    int           // HTTP status reported with transport errors
}

// fakeFetcher is a scrape.Fetcher over synth bodies: script says what
// each attempt of a node gets; it retries up to maxAttempts like the real
// client and returns a *scrape.FetchError at the end. Hooks let tests
// block or observe a fetch.
type fakeFetcher struct {
	maxAttempts int
	script      func(node string, n int) attempt
	// before, when set, runs at the start of every Fetch (in the worker).
	before func(ctx context.Context, node string)

	mu       sync.Mutex
	consumed map[string]int // consume calls per node
	bodies   map[synth.Options][]byte
	fetched  []string // nodes in Fetch call order
	stats    scrape.Stats
}

func newFakeFetcher(script func(node string, n int) attempt) *fakeFetcher {
	return &fakeFetcher{maxAttempts: 3, script: script, consumed: map[string]int{}, bodies: map[synth.Options][]byte{}}
}

// okBody is the body every node gets by default: a few updates whose
// number depends on the node.
func okBody(node string) synth.Options {
	return synth.Options{Resource: node, Seed: 7, Updates: int64(fnv1a(node) % 40)}
}

func (f *fakeFetcher) Fetch(ctx context.Context, node string, consume func(io.Reader) error) (scrape.Result, error) {
	f.mu.Lock()
	f.fetched = append(f.fetched, node)
	f.mu.Unlock()
	if f.before != nil {
		f.before(ctx, node)
	}
	res := scrape.Result{Node: node}
	var last error
	for n := 1; n <= f.maxAttempts; n++ {
		if err := ctx.Err(); err != nil {
			return res, &scrape.FetchError{Node: node, Attempts: res.Attempts, Err: err}
		}
		res.Attempts = n
		res.Duration += 100 * time.Millisecond
		a := f.script(node, n)
		f.mu.Lock()
		f.stats.Requests++
		if n > 1 {
			f.stats.Retries++
		}
		if a.status == 429 {
			f.stats.Status429++
		}
		f.mu.Unlock()
		if a.transport != nil {
			res.Status, last = a.status, a.transport
			continue
		}
		res.Status = 200
		var body io.Reader = bytes.NewReader(f.render(a.body))
		if a.truncate > 0 {
			body = io.LimitReader(body, a.truncate)
		}
		f.mu.Lock()
		f.consumed[node]++
		f.mu.Unlock()
		if last = consume(body); last == nil {
			return res, nil
		}
	}
	return res, &scrape.FetchError{Node: node, Attempts: res.Attempts, LastStatus: res.Status, Err: last}
}

// render returns the text of a synth body, made once per Options: making
// a synth Reader costs far more than the runner's work per node.
func (f *fakeFetcher) render(o synth.Options) []byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	if b, ok := f.bodies[o]; ok {
		return b
	}
	var buf bytes.Buffer
	if _, err := synth.NewReader(o).WriteTo(&buf); err != nil {
		panic(err) // a bytes.Buffer does not fail
	}
	f.bodies[o] = buf.Bytes()
	return buf.Bytes()
}

func (f *fakeFetcher) Stats() scrape.Stats {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.stats
}

func (f *fakeFetcher) consumeCalls(node string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.consumed[node]
}

func (f *fakeFetcher) fetchedNodes() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.fetched)
}

// memStore is an in-memory Store that checks the runner's use of it.
type memStore struct {
	mu        sync.Mutex
	completed map[int]bool
	batches   map[int][]store.Record
	dead      map[int][]store.DeadLetter
	order     []int  // batches in commit order
	plan      [2]int // nodes and batches given to SetPlan
	retries   [][]store.Record
	retryDead [][]store.DeadLetter
	failAt    int      // CommitBatch of this batch fails (when > 0)
	commits   chan int // when not nil, receives each committed batch
}

func newMemStore() *memStore {
	return &memStore{completed: map[int]bool{}, batches: map[int][]store.Record{}, dead: map[int][]store.DeadLetter{}}
}

func (s *memStore) SetPlan(nodes, batches int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.plan = [2]int{nodes, batches}
	return nil
}

func (s *memStore) Completed(b int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.completed[b]
}

func (s *memStore) CommitBatch(b int, recs []store.Record, dead []store.DeadLetter) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failAt > 0 && b == s.failAt {
		return errors.New("disk full")
	}
	if s.completed[b] {
		return fmt.Errorf("batch %d committed twice", b)
	}
	s.completed[b] = true
	s.batches[b] = slices.Clone(recs)
	s.dead[b] = slices.Clone(dead)
	s.order = append(s.order, b)
	if s.commits != nil {
		s.commits <- b
	}
	return nil
}

func (s *memStore) CommitRetry(recs []store.Record, dead []store.DeadLetter) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.retries = append(s.retries, slices.Clone(recs))
	s.retryDead = append(s.retryDead, slices.Clone(dead))
	return nil
}

var t0 = time.Date(2026, 11, 21, 2, 0, 0, 0, time.UTC)

// quietOptions are Options for tests: a fake clock and memory reader, no
// progress.
func quietOptions(c *clock.Fake) Options {
	return Options{
		Clock:  c,
		Memory: func() (Memory, error) { return Memory{RSS: 30 << 20, Peak: 40 << 20}, nil },
	}
}

// runAsync starts Run in a goroutine, for tests that act on a run in
// progress; wait returns its results once it has ended.
func runAsync(ctx context.Context, p *Plan, f scrape.Fetcher, st Store, o Options) (wait func() (Summary, error)) {
	type result struct {
		sum Summary
		err error
	}
	done := make(chan result, 1)
	go func() {
		sum, err := Run(ctx, p, f, st, o)
		done <- result{sum, err}
	}()
	return func() (Summary, error) {
		r := <-done
		return r.sum, r.err
	}
}
