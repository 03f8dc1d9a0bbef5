package batch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/sluicehq/sluice/extract"
	"github.com/sluicehq/sluice/scrape"
	"github.com/sluicehq/sluice/store"
)

// outcomeKind says what became of one node of a batch.
type outcomeKind uint8

const (
	notRun    outcomeKind = iota // skipped: the run was interrupted first
	succeeded                    // rec is set
	failed                       // dead is set
	abandoned                    // started, but the run was interrupted before a trustworthy end
)

// outcome is one node's slot in a batch. Each slot is written by the one
// task that owns the node and read after the batch's group has finished.
type outcome struct {
	kind outcomeKind
	rec  store.Record
	dead store.DeadLetter
}

// maxStatusLen caps the copy of the envelope status kept for the check.
const maxStatusLen = 256

// nodeState is the per-attempt state of one node's fetch: the tally and
// the envelope status, reset at the start of every call of consume.
type nodeState struct {
	tally     extract.Tally
	status    []byte
	hasStatus bool
	bytes     int64
}

// fetchNode fetches and aggregates one node. runCtx is the run's context
// (cancelled: take no new node); r.fetchCtx outlives it by the drain
// timeout.
func (r *runner) fetchNode(runCtx context.Context, batch int, node string) outcome {
	if runCtx.Err() != nil {
		return outcome{}
	}
	r.inFlight.Add(1)
	defer r.inFlight.Add(-1)

	ex, err := r.extractor()
	if err != nil {
		// Cannot happen after New's check in Run; kept as a dead letter
		// rather than a panic.
		return r.deadLetter(runCtx, batch, node, scrape.Result{}, 0, err)
	}
	defer r.extractors.Put(ex)

	st := &nodeState{tally: extract.Tally{Unit: r.o.Unit, Bucket: r.o.Bucket, MaxBuckets: r.o.MaxBuckets}}
	if r.o.WindowEnd.After(r.o.WindowStart) {
		st.tally.Start, st.tally.End = r.o.WindowStart.Unix(), r.o.WindowEnd.Unix()
	}
	emit := func(sel int, raw []byte) error {
		if sel < r.nTime {
			st.tally.Add(raw)
			return nil
		}
		st.hasStatus = true
		st.status = append(st.status[:0], raw[:min(len(raw), maxStatusLen)]...)
		return nil
	}
	consume := func(body io.Reader) error {
		// consume runs once per attempt: a retried body starts from zero.
		st.tally.Reset()
		st.hasStatus, st.status, st.bytes = false, st.status[:0], 0
		n, err := ex.Run(body, emit)
		st.bytes = n
		if err != nil {
			return err // extract's errors begin "extract:" and give the offset
		}
		if err := r.checkEnvelope(st); err != nil {
			return err
		}
		if err := st.tally.Err(); err != nil {
			return err // more distinct buckets than allowed: a clear failure, not an OOM
		}
		return r.checkReached(ex)
	}

	start := r.o.Clock.Now()
	res, err := r.f.Fetch(r.fetchCtx, node, consume)
	lat := res.Duration
	if lat <= 0 {
		lat = r.o.Clock.Now().Sub(start)
	}
	if err != nil {
		return r.deadLetter(runCtx, batch, node, res, lat, err)
	}
	r.retries.Add(int64(max(res.Attempts-1, 0)))
	// The histogram is of fetch latency: the time waited for the rate
	// limiter is the run's pace, not the server's speed.
	fetchLat := max(lat-res.Waited, 0)
	r.lat.add(fetchLat)
	r.latSum.Add(int64(fetchLat))
	r.bytes.Add(st.bytes)
	r.ok.Add(1)
	return outcome{kind: succeeded, rec: toRecord(node, &st.tally, st.bytes, res.Attempts, lat, r.mode)}
}

// deadLetter turns a final failure into a dead letter, unless the run was
// interrupted meanwhile: then the failure may be the interruption itself,
// and the node is left for the next run.
func (r *runner) deadLetter(runCtx context.Context, batch int, node string, res scrape.Result, lat time.Duration, err error) outcome {
	if r.stopping(runCtx) {
		r.abandoned.Add(1)
		return outcome{kind: abandoned}
	}
	dl := store.DeadLetter{
		Node:     node,
		Batch:    batch,
		Error:    err.Error(), // redacted by the Fetcher, which knows its secrets (scrape.Fetcher)
		Status:   res.Status,
		Attempts: res.Attempts,
		Time:     r.o.Clock.Now().UTC(),
	}
	var fe *scrape.FetchError
	if errors.As(err, &fe) {
		dl.Status, dl.Attempts = fe.LastStatus, fe.Attempts
	}
	r.retries.Add(int64(max(dl.Attempts-1, 0)))
	fetchLat := max(lat-res.Waited, 0) // as for a success: without the limiter's waits
	r.lat.add(fetchLat)
	r.latSum.Add(int64(fetchLat))
	r.dead.Add(1)
	return outcome{kind: failed, dead: dl}
}

// checkReached fails an attempt whose body never reached the container
// of a timestamp selector ("path data.updates not found"): a renamed
// field would otherwise count every node as zero updates. An empty
// container is reached. Options.AllowMissing turns the check off.
func (r *runner) checkReached(ex *extract.Extractor) error {
	if r.o.AllowMissing {
		return nil
	}
	for sel := range r.nTime {
		if !ex.Reached(sel) {
			// The status selector is last, so the first selector not
			// reached is this timestamp selector or one before it.
			return ex.CheckReached()
		}
	}
	return nil
}

// checkEnvelope fails an attempt whose status is missing or not StatusOK.
func (r *runner) checkEnvelope(st *nodeState) error {
	if r.o.StatusPath == "" {
		return nil
	}
	if !st.hasStatus {
		return fmt.Errorf("%w: no %q in the body", ErrEnvelope, r.o.StatusPath)
	}
	got := string(st.status)
	var s string
	if json.Unmarshal(st.status, &s) == nil {
		got = s
	}
	if got != r.o.StatusOK {
		return fmt.Errorf("%w: %s is %q, want %q", ErrEnvelope, r.o.StatusPath, got, r.o.StatusOK)
	}
	return nil
}

// toRecord converts a node's tally into the line of its batch file.
func toRecord(node string, t *extract.Tally, bytes int64, attempts int, lat time.Duration, mode string) store.Record {
	rec := store.Record{
		Node:       node,
		Count:      t.Count,
		Invalid:    t.Invalid,
		Bytes:      bytes,
		Attempts:   attempts,
		DurationMS: lat.Milliseconds(),
		Mode:       mode,
	}
	if t.Count > 0 {
		first, last := t.First, t.Last
		rec.First, rec.Last = &first, &last
	}
	rec.Outside = t.Outside
	if n := t.NumBuckets(); n > 0 {
		rec.Buckets = make(store.Buckets, 0, n)
		t.EachBucket(func(start, n int64) {
			rec.Buckets = append(rec.Buckets, store.Bucket{Start: time.Unix(start, 0).UTC().Format(time.RFC3339), Count: n})
		})
		// In key order, as store.Buckets are (EachBucket gives a map's
		// buckets in any order); the keys are distinct times.
		slices.SortFunc(rec.Buckets, func(a, b store.Bucket) int { return strings.Compare(a.Start, b.Start) })
	}
	return rec
}
