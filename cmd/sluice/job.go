package main

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/sluicehq/sluice/batch"
	"github.com/sluicehq/sluice/extract"
	"github.com/sluicehq/sluice/scrape"
	"github.com/sluicehq/sluice/store"
)

// A job is what the commands that run the batch pipeline (scrape,
// ripestat, replay; demo through them) add to the shared flags: where
// bodies come from. runJob turns the flags and it into one batch.Job.
type job struct {
	// tmpl and vars are the HTTP request template and its variables;
	// with fetcher set they are unused.
	tmpl string
	vars map[string]string
	// fetcher, when set, gets the bodies instead of an HTTP client, and
	// source names it in the run's identity (replay: the captures folder).
	fetcher scrape.Fetcher
	source  string
	// start and end are the query window, for the identity; may be empty.
	start, end string
	statusPath string // default of --status-path
}

// env names the environment variable that can set a flag.
func env(flag string) []string {
	return []string{"SLUICE_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))}
}

// jobFlags are the flags of every command that runs the batch pipeline.
func jobFlags() []cli.Flag {
	return append([]cli.Flag{
		&cli.StringFlag{Name: "nodes", Usage: "node list: one ID per line, `FILE` or - for stdin", Required: true, EnvVars: env("nodes")},
		&cli.StringFlag{Name: "column", Usage: "read the node list as CSV and take this column (1-based index or header name)", EnvVars: env("column")},
		&cli.StringFlag{Name: "out", Usage: "output `DIR` (batch files, manifest, dead letters); created if missing", Required: true, EnvVars: env("out")},
		&cli.StringFlag{Name: "mode", Value: string(extract.Stream), Usage: "extraction mode: stream, regex or full", EnvVars: env("mode")},
		&cli.StringSliceFlag{Name: "path", Usage: "timestamp selector (repeatable)", EnvVars: env("path")},
		&cli.StringSliceFlag{Name: "pattern", Usage: "regex mode: pattern with one capture group (repeatable; one per --path)", EnvVars: env("pattern")},
		sizeFlag("buffer-size", extract.DefaultBufferSize, "stream buffer / regex chunk `SIZE` (e.g. 64KiB)", env("buffer-size")...),
		sizeFlag("max-value-size", extract.DefaultMaxValueSize, "longest selected value, a `SIZE`", env("max-value-size")...),
		&cli.BoolFlag{Name: "strict", Usage: "validate every body per RFC 8259", EnvVars: env("strict")},
		&cli.IntFlag{Name: "max-buckets", Value: extract.MaxBuckets, Usage: "without a window: most distinct buckets per node; a node with more is dead-lettered (with a window the buckets are the window's, at most this many)", EnvVars: env("max-buckets")},
		&cli.BoolFlag{Name: "allow-missing", Usage: "count 0 for a body without the selector's container (data.updates) instead of retrying and dead-lettering it", EnvVars: env("allow-missing")},
		&cli.StringFlag{Name: "unit", Value: "s", Usage: "unit of numeric timestamps: s or ms", EnvVars: env("unit")},
		&cli.DurationFlag{Name: "bucket", Value: batch.DefaultBucket, Usage: "width of the per-bucket counts (0: none)", EnvVars: env("bucket")},
		&cli.IntFlag{Name: "batch-size", Value: batch.DefaultBatchSize, Usage: "nodes per batch file", EnvVars: env("batch-size")},
		&cli.StringFlag{Name: "shard", Usage: "only this shard of the list, `k/n` (stable split by hash of the ID)", EnvVars: env("shard")},
		&cli.IntFlag{Name: "concurrency", Value: batch.DefaultConcurrency, Usage: "nodes fetched at once", EnvVars: env("concurrency")},
		&cli.IntFlag{Name: "window", Value: batch.DefaultWindow, Usage: "batches open at once: later batches run and commit while one waits on a slow node (1: strictly one after the other)", EnvVars: env("window")},
		&cli.BoolFlag{Name: "adaptive", Usage: "grow the pool while latency holds, shrink it on 429s and stalls", EnvVars: env("adaptive")},
		&cli.DurationFlag{Name: "drain-timeout", Value: 10 * time.Second, Usage: "on SIGINT/SIGTERM, how long in-flight nodes may finish", EnvVars: env("drain-timeout")},
		&cli.StringFlag{Name: "status-path", Usage: "selector of an envelope status that must read \"ok\" (ripestat: status; \"\": no check)", EnvVars: env("status-path")},
		&cli.BoolFlag{Name: "retry-dead", Usage: "run only the dead-lettered nodes of --out again", EnvVars: env("retry-dead")},
	}, append(reportFlags(), coordFlags()...)...)
}

// fetchFlags are the flags of the commands that fetch over HTTP.
func fetchFlags(rate float64) []cli.Flag {
	return append(recordFlags(),
		&cli.Float64Flag{Name: "rate", Value: rate, Usage: "requests per second, shared by all workers (0: no limit until a 429)", EnvVars: env("rate")},
		&cli.IntFlag{Name: "burst", Value: 1, Usage: "token bucket size", EnvVars: env("burst")},
		&cli.IntFlag{Name: "max-attempts", Value: scrape.DefaultMaxAttempts, Usage: "attempts per node before it is dead-lettered", EnvVars: env("max-attempts")},
		&cli.DurationFlag{Name: "max-node-time", Value: 30 * time.Minute, Usage: "total time per node, retries included", EnvVars: env("max-node-time")},
		&cli.DurationFlag{Name: "min-backoff", Value: scrape.DefaultMinBackoff, Usage: "first back-off between attempts (doubles each time, full jitter)", EnvVars: env("min-backoff")},
		&cli.DurationFlag{Name: "max-backoff", Value: scrape.DefaultMaxBackoff, Usage: "longest back-off between attempts", EnvVars: env("max-backoff")},
		&cli.DurationFlag{Name: "request-timeout", Usage: "cap on one attempt, body included (0: none; the stall timeout still applies)", EnvVars: env("request-timeout")},
		&cli.DurationFlag{Name: "stall-timeout", Value: scrape.DefaultStallTimeout, Usage: "abandon and retry a body that sends nothing for this long", EnvVars: env("stall-timeout")},
		sizeFlag("speed-limit", scrape.DefaultSpeedLimit, "minimum transfer speed, a `SIZE` per second: an attempt whose body moves less than this on average over --speed-time is abandoned and retried (0: no minimum)", env("speed-limit")...),
		&cli.DurationFlag{Name: "speed-time", Value: scrape.DefaultSpeedTime, Usage: "the span over which --speed-limit is averaged (0: no minimum)", EnvVars: env("speed-time")},
		sizeFlag("max-body-size", scrape.DefaultMaxBodySize, "largest decoded body, a `SIZE` (e.g. 16GiB)", env("max-body-size")...),
		sizeFlag("bytes-per-second", 0, "bandwidth budget on body reads, a `SIZE` per second (e.g. 10MB; 0: none)", env("bytes-per-second")...),
		&cli.StringSliceFlag{Name: "header", Usage: "extra request header 'K: V' (repeatable; never logged)", EnvVars: env("header")},
		&cli.StringSliceFlag{Name: "redact", Usage: "one more `NAME` of a query parameter, --var, header or cookie whose value is a secret (repeatable; key, token, sig, pass, jwt, session … are built in)", EnvVars: env("redact")},
	)
}

// parseHeaders turns --header values into an http.Header-shaped map.
func parseHeaders(vals []string) (map[string][]string, error) {
	h := make(map[string][]string)
	for _, v := range vals {
		k, val, ok := strings.Cut(v, ":")
		k = strings.TrimSpace(k)
		if !ok || k == "" || strings.ContainsAny(k, " \t\r\n") {
			return nil, fmt.Errorf("--header: want 'Name: value', got a value without a name")
		}
		h[k] = append(h[k], strings.TrimSpace(val))
	}
	return h, nil
}

// scrapeOptions builds the HTTP client's options of scrape and ripestat
// from the flags.
func scrapeOptions(c *cli.Context, j job, log *slog.Logger) (scrape.Options, error) {
	hdr, err := parseHeaders(c.StringSlice("header"))
	if err != nil {
		return scrape.Options{}, usageError(err)
	}
	o := scrape.Options{
		URL:            j.tmpl,
		Vars:           j.vars,
		Header:         hdr,
		Secrets:        scrape.Secrets{Names: c.StringSlice("redact")},
		Rate:           c.Float64("rate"),
		Burst:          c.Int("burst"),
		Concurrency:    c.Int("concurrency"),
		MaxAttempts:    c.Int("max-attempts"),
		MaxNodeTime:    c.Duration("max-node-time"),
		RequestTimeout: c.Duration("request-timeout"),
		StallTimeout:   c.Duration("stall-timeout"),
		SpeedLimit:     sizeOf(c, "speed-limit"),
		SpeedTime:      c.Duration("speed-time"),
		MaxBodySize:    sizeOf(c, "max-body-size"),
		BytesPerSecond: float64(sizeOf(c, "bytes-per-second")),
		MinBackoff:     min(c.Duration("min-backoff"), c.Duration("max-backoff")),
		MaxBackoff:     c.Duration("max-backoff"),
		Logger:         log,
	}
	if o.SpeedLimit == 0 || o.SpeedTime == 0 {
		o.SpeedLimit, o.SpeedTime = -1, 0 // either at 0 turns the minimum off (scrape: negative)
	}
	if c.Bool("adaptive") {
		// The pool may grow to 4× (batch.AdaptOptions); the client's
		// connection cap must not be what stops it.
		o.Concurrency *= 4
	}
	if c.IsSet("min-backoff") && o.MinBackoff < c.Duration("min-backoff") {
		return o, usageError(fmt.Errorf("--min-backoff %v is above --max-backoff %v", c.Duration("min-backoff"), o.MaxBackoff))
	}
	return o, nil
}

// readNodes reads the --nodes list and reports what it dropped.
func readNodes(c *cli.Context, io *stdio, log *slog.Logger) ([]string, error) {
	name := c.String("nodes")
	in, closeIn, err := openInput(name, io.in)
	if err != nil {
		return nil, usageError(fmt.Errorf("--nodes: %w", err))
	}
	defer closeIn()
	list, err := batch.ReadNodes(in, batch.ListOptions{Column: c.String("column")})
	if err != nil {
		return nil, usageError(fmt.Errorf("--nodes %s: %w", name, err))
	}
	for _, iv := range list.Invalid {
		log.Warn("invalid node skipped", "file", name, "line", iv.Line, "reason", iv.Reason, "text", iv.Text)
	}
	if list.DuplicateCount > 0 {
		log.Warn("duplicate nodes dropped", "file", name, "count", list.DuplicateCount)
	}
	if list.InvalidCount > len(list.Invalid) {
		log.Warn("more invalid nodes skipped", "file", name, "count", list.InvalidCount-len(list.Invalid))
	}
	if len(list.Nodes) == 0 {
		return nil, usageError(fmt.Errorf("--nodes %s: no valid node", name))
	}
	return list.Nodes, nil
}

// runJob runs the batch pipeline described by the flags of c and by j:
// flag parsing, then batch.Job.Run.
func runJob(c *cli.Context, io *stdio, j job) error {
	rep, err := newReporter(c, io)
	if err != nil {
		return err
	}
	return runJobWith(c, io, j, rep) // exitCode reports its error in --log-format
}

func runJobWith(c *cli.Context, io *stdio, j job, rep *reporter) error {
	bj, err := newBatchJob(c, io, j, rep)
	if err != nil {
		return err
	}
	recErr, closeRec, err := startRecorder(c, bj)
	if err != nil {
		return err
	}
	defer closeRec()
	if c.String("coord") != "" {
		return runCoordJob(c, bj, rep, closeRec)
	}
	out := bj.Out
	bj.ExitStatus = func(sum batch.Summary, err error) int {
		return exitStatus(recordError(jobError(bj, sum, err), recErr()))
	}
	sum, err := bj.Run(c.Context)
	err = recordError(jobError(bj, sum, err), closeRec())
	if sum.Start.IsZero() { // the run never started
		if err == nil && bj.RetryDead {
			rep.log.Info("no dead letters: nothing to retry", "out", out)
		}
		return err
	}
	if ferr := rep.finish(sum, exitStatus(err), out); err == nil {
		err = ferr
	}
	return err
}

// jobError turns what Job.Run returned into the command's error, with
// its exit status.
func jobError(bj *batch.Job, sum batch.Summary, err error) error {
	err = optionError(err)
	switch {
	case errors.Is(err, store.ErrParamsMismatch):
		return usageError(fmt.Errorf("%w (use another --out, or the same parameters to resume)", err))
	case errors.Is(err, batch.ErrInvalidJob):
		return usageError(err)
	case err != nil:
		return err // an interruption wraps context.Canceled: exitCode makes it 3
	case bj.Fetcher == nil && sum.OK == 0 && sum.Dead > 0 && noAnswer(bj.Out):
		return retryable(fmt.Errorf("no node got an HTTP answer (%s in %s): is the server reachable? Run again with --retry-dead once it is",
			batch.Plural(int64(sum.DeadLetters), "dead letter"), filepath.Join(bj.Out, "dead-letter.ndjson")))
	case sum.DeadLetters > 0:
		return failure(fmt.Errorf("%s dead-lettered in %s; run again with --retry-dead to retry them",
			batch.Plural(int64(sum.DeadLetters), "node"), filepath.Join(bj.Out, "dead-letter.ndjson")))
	}
	return nil
}

// noAnswer reports whether no dead letter of the folder out records an
// HTTP status: the server never answered (refused, unreachable, silent).
func noAnswer(out string) bool {
	dead, err := store.ReadDeadLetters(out)
	if err != nil || len(dead) == 0 {
		return false
	}
	for _, d := range dead {
		if d.Status != 0 {
			return false
		}
	}
	return true
}

// newBatchJob reads the flags of c (and the node list) into a batch.Job.
func newBatchJob(c *cli.Context, io *stdio, j job, rep *reporter) (*batch.Job, error) {
	if err := checkJobFlags(c); err != nil {
		return nil, usageError(err)
	}
	if fi, err := os.Stat(c.String("out")); err == nil && !fi.IsDir() {
		return nil, usageError(fmt.Errorf("--out %s: a file, not a folder", c.String("out")))
	}
	log := rep.log
	// Retries are routine (progress counts them): the client's waits and
	// rate changes are shown, its retries with --verbose.
	fetchLog := slog.New(rep.fetchHandler(c))
	var err error
	nodes, err := readNodes(c, io, log)
	if err != nil {
		return nil, err
	}
	mode, err := extract.ParseMode(c.String("mode"))
	if err != nil {
		return nil, usageError(err)
	}
	unit, err := extract.ParseUnit(c.String("unit"))
	if err != nil {
		return nil, usageError(err)
	}
	shard, err := batch.ParseShard(c.String("shard"))
	if err != nil {
		return nil, usageError(err)
	}
	statusPath := j.statusPath
	if c.IsSet("status-path") {
		statusPath = c.String("status-path")
	}
	bj := &batch.Job{
		Nodes:     nodes,
		Out:       c.String("out"),
		Fetcher:   j.fetcher,
		Source:    j.source,
		Start:     j.start,
		End:       j.end,
		BatchSize: c.Int("batch-size"),
		Shard:     shard,
		RetryDead: c.Bool("retry-dead"),
		Options: batch.Options{
			Extract: extract.Options{
				Mode:         mode,
				Paths:        c.StringSlice("path"),
				Patterns:     c.StringSlice("pattern"),
				BufferSize:   int(sizeOf(c, "buffer-size")),
				MaxValueSize: int(sizeOf(c, "max-value-size")),
				Strict:       c.Bool("strict"),
			},
			Unit:         unit,
			Bucket:       c.Duration("bucket"),
			StatusPath:   statusPath,
			AllowMissing: c.Bool("allow-missing"),
			MaxBuckets:   c.Int("max-buckets"),
			Concurrency:  c.Int("concurrency"),
			Window:       c.Int("window"),
			DrainTimeout: c.Duration("drain-timeout"),
			Logger:       log,
		},
	}
	// Check the selectors and patterns now: a typo is a usage error, not
	// 80,000 dead letters.
	if _, err := extract.New(bj.Options.Extract); err != nil {
		return nil, usageError(err)
	}
	if bj.Options.Bucket == 0 {
		bj.Options.Bucket = -1 // batch: negative means none
	}
	rep.progressOptions(&bj.Options)
	if rep.metrics != "" {
		if shard.N > 1 {
			rep.labels = map[string]string{"shard": shard.String()}
		}
		bj.Options.Observe = rep.observe
	}
	if c.Bool("adaptive") {
		bj.Options.Adapt = &batch.AdaptOptions{}
	}
	if st, ok := j.fetcher.(batch.StatsSource); ok {
		bj.Options.Stats = st // a replay's client
	}
	if j.fetcher == nil {
		if bj.Scrape, err = scrapeOptions(c, j, fetchLog); err != nil {
			return nil, err
		}
	}
	return bj, nil
}
