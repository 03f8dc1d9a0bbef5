package batch

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/sluicehq/sluice/extract"
	"github.com/sluicehq/sluice/scrape"
	"github.com/sluicehq/sluice/scrape/clock"
	"github.com/sluicehq/sluice/store"
)

// ErrInvalidJob marks the errors of Job.Run that are the job's fault (a
// negative batch size, a bad selector, client options scrape refuses),
// as opposed to the server's, the disk's or an interruption: running the
// same job again cannot help. Errors of store.Open keep their own
// sentinels (store.ErrParamsMismatch, store.ErrLocked).
var ErrInvalidJob = errors.New("invalid job")

// A Job is one complete run: which nodes, where their bodies come from,
// what to count in them, and the folder that holds the result. Its run
// identity (Plan.Params, kept in the folder's manifest) is derived from
// these fields alone, so running the same Job again resumes it: batches
// already committed are skipped, the rest are fetched.
//
// The zero values of the fields mean what they mean in Options,
// PlanOptions and scrape.Options.
type Job struct {
	// Nodes is the node list, e.g. ReadNodes's; it must not be modified
	// while the job runs.
	Nodes []string
	// Out is the run folder, created if missing.
	Out string

	// Scrape configures the HTTP client that Run makes (and closes) when
	// Fetcher is nil: Scrape.URL is the request template, Scrape.Vars
	// its variables. A Scrape.CaptureDir is created once Out is open.
	Scrape scrape.Options
	// Fetcher, when set, gets the bodies instead of a client made from
	// Scrape (a scrape.Replayer, a fake). Its errors are written to dead
	// letters as they are: it must redact its own secrets.
	Fetcher scrape.Fetcher
	// Source names where the bodies come from in the run's identity; ""
	// means Scrape.URL with its non-secret variables filled in and
	// secrets redacted. Set it with Fetcher (e.g. "replay:<dir>").
	Source string
	// Start and End are the query window, recorded in the identity (a
	// folder of another day is refused); either may be empty.
	Start, End string

	// BatchSize and Shard cut the plan (PlanOptions).
	BatchSize int
	Shard     Shard
	// Options configure the extraction, buckets, pool and progress. Its
	// Logger also receives the store's warnings; Stats, when nil, is set
	// to the client Run makes.
	Options Options

	// RetryDead runs only the dead-lettered nodes of Out again, instead
	// of the plan (RetryDead); Nodes must still be the job's list, since
	// the identity depends on it.
	RetryDead bool
	// Schedule, when set, chooses which batches of the plan this process
	// runs and in what order (a coordinator sharing one run between
	// machines); nil means every batch in plan order. Batches already
	// committed in Out are skipped either way.
	Schedule func(p *Plan) iter.Seq[int]
	// Store, when set, is where the batches are committed instead of the
	// run folder Out (store.Shared: a folder many processes write at
	// once). Run neither opens nor closes it, records no run summary in
	// it, and refuses RetryDead with it.
	Store Store
	// ExitStatus, when set, gives the exit status that the run's summary
	// records in the manifest for what Run returns; nil means 0 done, 1
	// dead letters, 3 interrupted, 4 any other error.
	ExitStatus func(sum Summary, err error) int
}

// Plan cuts the job's nodes into batches and derives the run's identity
// (Plan.Params) from the job's fields.
func (j *Job) Plan() (*Plan, error) {
	o := j.Options
	paths := o.Extract.Paths
	if len(paths) == 0 {
		paths = []string{extract.DefaultPath}
	}
	mode := o.Extract.Mode
	if mode == "" {
		mode = extract.Stream
	}
	bucket := o.Bucket
	switch {
	case bucket == 0:
		bucket = DefaultBucket
	case bucket < 0:
		bucket = 0
	}
	p, err := NewPlan(j.Nodes, PlanOptions{Size: j.BatchSize, Shard: j.Shard, Params: store.Params{
		URL:    j.source(),
		Paths:  paths,
		Mode:   string(mode),
		Start:  j.Start,
		End:    j.End,
		Bucket: bucket.String(),
		Unit:   o.Unit.String(),
	}})
	if err != nil {
		return nil, invalidJob(err)
	}
	return p, nil
}

// source is the identity's URL.
func (j *Job) source() string {
	if j.Source != "" {
		return j.Source
	}
	sec := j.Scrape.Secrets
	return sec.Redact(expandTemplate(j.Scrape.URL, j.Scrape.Vars, sec))
}

// expandTemplate fills in the variables of tmpl (but keeps {node}), so
// that the identity tells runs with other variables apart. A
// secret-named variable ({apikey}, {token} …) stays a placeholder
// wherever it sits, since Redact only knows query parameters.
func expandTemplate(tmpl string, vars map[string]string, sec scrape.Secrets) string {
	keys := make([]string, 0, len(vars))
	for k := range vars {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if sec.Name(k) {
			continue
		}
		tmpl = strings.ReplaceAll(tmpl, "{"+k+"}", vars[k])
	}
	return tmpl
}

// Run runs the job to its end: it derives the plan, makes the client,
// opens Out with the plan's identity (refusing a folder that holds
// another job), runs the batches not yet committed (or the dead letters, with
// RetryDead) and closes everything. The Summary is filled in whenever the
// run started; its DeadLetters counts the folder's dead letters after the
// run, earlier runs' included. Errors are those of Run and RetryDead,
// store.Open's, and ErrInvalidJob.
func (j *Job) Run(ctx context.Context) (sum Summary, err error) {
	p, err := j.Plan()
	if err != nil {
		return sum, err
	}
	o := j.Options
	// One clock for the client, the run and the store.
	o.Clock = clock.Or(o.Clock)
	so := j.Scrape
	if so.Clock == nil {
		so.Clock = o.Clock
	}
	// Check the selectors and patterns before the folder is touched.
	if _, err := extract.New(o.Extract); err != nil {
		return sum, invalidJob(err)
	}
	// A window fixes the per-node buckets before any body is read; one
	// over extract.MaxBuckets, or a bad cap, is the job's fault.
	if o.WindowStart.IsZero() && o.WindowEnd.IsZero() {
		o.WindowStart, _ = parseWindowTime(j.Start)
		o.WindowEnd, _ = parseWindowTime(j.End)
	}
	if _, err := o.withDefaults(); err != nil {
		return sum, invalidJob(err)
	}
	f := j.Fetcher
	if f == nil {
		cl, err := scrape.New(so)
		if err != nil {
			return sum, invalidJob(err)
		}
		defer cl.Close()
		f = cl
		if o.Stats == nil {
			o.Stats = cl
		}
	}
	if j.Store != nil {
		if j.RetryDead {
			return sum, invalidJob(errors.New("batch: RetryDead with a Store: retry the dead letters of a run folder"))
		}
		return runPlan(ctx, p, j.schedule(p), f, j.Store, o)
	}
	st, err := store.Open(j.Out, p.Params(), store.OpenOptions{Logger: o.Logger, Now: o.Clock.Now})
	if err != nil {
		return sum, err
	}
	defer func() {
		if cerr := st.Close(); err == nil {
			err = cerr
		}
	}()
	if dir := j.Scrape.CaptureDir; j.Fetcher == nil && dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return sum, fmt.Errorf("captures: %w", err)
		}
	}

	if j.RetryDead {
		dead, err := st.DeadLetters()
		if err != nil || len(dead) == 0 {
			return sum, err
		}
		nodes := make([]string, len(dead))
		for i, d := range dead {
			nodes[i] = d.Node
		}
		sum, err = RetryDead(ctx, nodes, f, st, o)
	} else {
		sum, err = runPlan(ctx, p, j.schedule(p), f, st, o)
	}
	if err == nil {
		var dead []store.DeadLetter
		dead, err = st.DeadLetters()
		sum.DeadLetters = len(dead)
	}
	j.record(st, sum, err)
	return sum, err
}

// schedule is Schedule's order of p's batches; nil: plan order.
func (j *Job) schedule(p *Plan) iter.Seq[int] {
	if j.Schedule == nil {
		return nil
	}
	return j.Schedule(p)
}

// record keeps the run's summary in the folder's manifest
// (store.Run.Runs), with its exit status (Job.ExitStatus). A run that cannot be recorded has
// still run: the error is only logged.
func (j *Job) record(st *store.Run, sum Summary, err error) {
	if sum.Start.IsZero() { // the run did not start
		return
	}
	status := 0
	switch {
	case j.ExitStatus != nil:
		status = j.ExitStatus(sum, err)
	case errors.Is(err, context.Canceled):
		status = 3
	case err != nil:
		status = 4
	case sum.DeadLetters > 0:
		status = 1
	}
	if rerr := st.RecordRun(sum.Record(status)); rerr != nil && j.Options.Logger != nil {
		j.Options.Logger.Warn("run summary not kept in the manifest", "err", rerr.Error())
	}
}

// invalidJob marks err as the job's fault without changing its text.
func invalidJob(err error) error { return invalidJobError{err} }

type invalidJobError struct{ err error }

func (e invalidJobError) Error() string   { return e.err.Error() }
func (e invalidJobError) Unwrap() []error { return []error{e.err, ErrInvalidJob} }

// parseWindowTime reads a window bound as commands give it: RFC 3339,
// RIPEstat's YYYY-MM-DDTHH:MM:SS (UTC), a date, or unix seconds. Anything
// else is no bound (the buckets are then capped by MaxBuckets instead).
func parseWindowTime(s string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04:05", time.DateOnly} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Unix(n, 0).UTC(), true
	}
	return time.Time{}, false
}
