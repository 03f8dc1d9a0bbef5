package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/sluicehq/sluice/batch"
)

// What a job command tells its user, and how: every line on stderr is a
// log record in --log-format (progress records, batch commits, waits, the
// summary, the final error), so a cron mail or a log shipper reads one
// format; stdout carries nothing. --quiet keeps warnings, errors and the
// summary.

// reportFlags are the job flags about logs, progress and results.
func reportFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "progress", Value: "auto", Usage: "progress on stderr: auto (a bar on a terminal, else log records), bar, log or none", EnvVars: env("progress")},
		logFormatFlag(),
		&cli.BoolFlag{Name: "verbose", Usage: "log every retry and rate change", EnvVars: env("verbose")},
		&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "only warnings, errors and the summary on stderr (no progress)", EnvVars: env("quiet")},
		&cli.StringFlag{Name: "summary-json", Usage: "write the run's summary as JSON to `FILE` (- for stdout) when it ends", EnvVars: env("summary-json")},
		&cli.StringFlag{Name: "metrics-file", Usage: "write Prometheus metrics to `PATH` (node_exporter textfile collector, e.g. /var/lib/node_exporter/sluice.prom) every few seconds and at the end", EnvVars: env("metrics-file")},
	}
}

// metricsEvery is how often --metrics-file is rewritten during a run;
// node_exporter reads it at each scrape (15 s to 1 min).
const metricsEvery = 5 * time.Second

// reporter holds what a job command writes about its run.
type reporter struct {
	handler  slog.Handler // every record, whatever the level
	log      *slog.Logger // info (warn with --quiet) and above
	json     bool         // --log-format json
	io       *stdio
	sumPath  string // --summary-json; "" none
	metrics  string // --metrics-file; "" none
	labels   map[string]string
	progress string // "auto", "bar", "log" or "none"

	mu        sync.Mutex // orders Observe's writes with the final one
	lastWrite time.Time
	warned    bool
}

func newReporter(c *cli.Context, io *stdio) (*reporter, error) {
	r := &reporter{io: io, sumPath: c.String("summary-json"), metrics: c.String("metrics-file"), progress: c.String("progress"),
		handler: io.logHandler(slog.LevelDebug), json: io.logJSON} // run read --log-format
	switch r.progress {
	case "auto", "bar", "log", "none":
	case "text", "json": // before --log-format governed progress records
		r.progress = "log"
	default:
		return nil, usageError(fmt.Errorf("--progress %q: want auto, bar, log or none", r.progress))
	}
	if r.progress == "bar" && r.json {
		return nil, usageError(errors.New("--progress bar with --log-format json: a bar is not JSON (use --progress log)"))
	}
	if c.Bool("quiet") {
		if c.Bool("verbose") {
			return nil, usageError(errors.New("--quiet and --verbose together: choose one"))
		}
		r.progress = "none"
	}
	r.log = slog.New(r.leveled(c, slog.LevelInfo))
	return r, nil
}

// leveled is the handler showing records of level and above: everything
// with --verbose, warnings and errors with --quiet.
func (r *reporter) leveled(c *cli.Context, level slog.Level) slog.Handler {
	switch {
	case c.Bool("verbose"):
		level = slog.LevelDebug
	case c.Bool("quiet"):
		level = max(level, slog.LevelWarn)
	}
	return levelHandler{Handler: r.handler, min: level}
}

// fetchHandler is the HTTP client's: its waits and rate changes (info)
// are part of the stream, but not one record per retry or per failed
// node, which progress counts and the dead-letter file lists; --verbose
// shows everything.
func (r *reporter) fetchHandler(c *cli.Context) slog.Handler {
	h := r.leveled(c, slog.LevelInfo)
	if c.Bool("verbose") {
		return h
	}
	return dropHandler{Handler: h, msgs: []string{"retry", "node failed"}}
}

// dropHandler leaves out the records whose message is one of msgs.
type dropHandler struct {
	slog.Handler
	msgs []string
}

func (h dropHandler) Handle(ctx context.Context, rec slog.Record) error {
	if slices.Contains(h.msgs, rec.Message) {
		return nil
	}
	return h.Handler.Handle(ctx, rec)
}
func (h dropHandler) WithAttrs(a []slog.Attr) slog.Handler {
	return dropHandler{Handler: h.Handler.WithAttrs(a), msgs: h.msgs}
}
func (h dropHandler) WithGroup(name string) slog.Handler {
	return dropHandler{Handler: h.Handler.WithGroup(name), msgs: h.msgs}
}

// progressOptions sets where and how batch writes progress.
func (r *reporter) progressOptions(o *batch.Options) {
	switch r.progress {
	case "none":
		return
	case "bar":
		o.ProgressFormat = batch.ProgressBar
	case "log":
		o.ProgressFormat = batch.ProgressText
	case "auto":
		o.ProgressFormat = batch.ProgressAuto // a bar on a terminal, else text records
		if r.json {
			o.ProgressFormat = batch.ProgressJSON // a bar is not JSON
		}
	}
	if r.progress == "log" && r.json {
		o.ProgressFormat = batch.ProgressJSON
	}
	o.Progress = r.io.err
}

// observe is batch.Options.Observe: it rewrites the metrics file every
// metricsEvery.
func (r *reporter) observe(s batch.Summary) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if s.End.Sub(r.lastWrite) < metricsEvery {
		return
	}
	r.lastWrite = s.End
	r.writeMetrics(batch.Metrics{Summary: s, Running: true, Labels: r.labels})
}

func (r *reporter) writeMetrics(m batch.Metrics) {
	if err := batch.WriteMetricsFile(r.metrics, m); err != nil && !r.warned {
		r.warned = true // once: a full disk must not fill the log too
		r.log.Warn("metrics file not written", "path", r.metrics, "err", err.Error())
	}
}

// finish reports the end of a run that started into out: the summary
// record, the summary file and the final metrics. status is the exit
// status the command ends with.
func (r *reporter) finish(sum batch.Summary, status int, out string) error {
	rec := slog.NewRecord(sum.End, slog.LevelInfo, "run summary", 0)
	if rec.Time.IsZero() {
		rec.Time = time.Now()
	}
	rec.AddAttrs(sum.Attrs()...)
	rec.AddAttrs(slog.Int("exit_status", status), slog.String("out", out))
	// The summary is shown even with --quiet: straight to the handler,
	// past the level.
	_ = r.handler.Handle(context.Background(), rec)
	if r.metrics != "" {
		r.mu.Lock()
		m := batch.Metrics{Summary: sum, ExitStatus: status, Labels: r.labels}
		if status == exitOK {
			m.LastSuccess = sum.End
		}
		r.writeMetrics(m)
		r.mu.Unlock()
	}
	if r.sumPath == "" {
		return nil
	}
	data, err := json.MarshalIndent(sum.Record(status), "", "  ")
	if err != nil {
		return fmt.Errorf("--summary-json: %w", err)
	}
	data = append(data, '\n')
	if r.sumPath == "-" {
		_, err = r.io.out.Write(data)
		return err
	}
	return writeFileAtomic(r.sumPath, data)
}

// levelHandler filters records below min; Handle itself does not, so
// the summary can be written past it.
type levelHandler struct {
	slog.Handler
	min slog.Level
}

func (h levelHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= h.min }
func (h levelHandler) WithAttrs(a []slog.Attr) slog.Handler {
	return levelHandler{Handler: h.Handler.WithAttrs(a), min: h.min}
}
func (h levelHandler) WithGroup(name string) slog.Handler {
	return levelHandler{Handler: h.Handler.WithGroup(name), min: h.min}
}

// writeFileAtomic writes data to path through a temporary file in the
// same folder and a rename, so a reader never sees half of it.
func writeFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(f.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
