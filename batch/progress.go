package batch

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"
)

// ProgressFormat chooses how progress is written.
type ProgressFormat int

const (
	// ProgressAuto draws a bar when the writer is a terminal and writes
	// text log records otherwise (under cron, into a file).
	ProgressAuto ProgressFormat = iota
	// ProgressBar redraws one line with a bar, ending with "\r…\x1b[K".
	ProgressBar
	// ProgressText writes one log/slog text record per report.
	ProgressText
	// ProgressJSON writes one log/slog JSON record per report.
	ProgressJSON
)

// ParseProgressFormat parses "auto", "bar", "text" or "json" ("" is auto).
func ParseProgressFormat(s string) (ProgressFormat, error) {
	switch s {
	case "", "auto":
		return ProgressAuto, nil
	case "bar":
		return ProgressBar, nil
	case "text":
		return ProgressText, nil
	case "json":
		return ProgressJSON, nil
	}
	return 0, fmt.Errorf("batch: progress format %q: want auto, bar, text or json", s)
}

// A snapshot is the state of a run at one instant, as progress shows it.
type snapshot struct {
	Done      int64         // nodes finished this run: OK + Dead
	Total     int64         // nodes this run has to do (skipped batches excluded)
	OK, Dead  int64         // succeeded / failed for good
	InFlight  int64         // nodes being fetched
	Retries   int64         // retried attempts
	Status429 int64         // 429 answers (when the Fetcher reports them)
	Bytes     int64         // body bytes extracted
	Elapsed   time.Duration // since the run started
	Memory    Memory        // zero when unknown
}

// progress writes snapshots. report and finish are called from the
// runner's monitor goroutine; mu orders them with the runner's log
// records (see above), which may go to the same terminal.
type progress struct {
	w       io.Writer
	bar     bool
	handler slog.Handler // nil when bar

	mu    sync.Mutex
	drawn bool // a bar line is on screen: clear it before other output, end it with a newline

	last      time.Time // time of the previous report
	lastDone  int64
	lastBytes int64
}

func newProgress(w io.Writer, f ProgressFormat, start time.Time) *progress {
	p := &progress{w: w, last: start}
	if f == ProgressAuto {
		f = ProgressText
		if file, ok := w.(*os.File); ok && term.IsTerminal(int(file.Fd())) {
			f = ProgressBar
		}
	}
	switch f {
	case ProgressBar:
		p.bar = true
	case ProgressJSON:
		p.handler = slog.NewJSONHandler(w, nil)
	default:
		p.handler = slog.NewTextHandler(w, nil)
	}
	return p
}

// report writes one progress line or record for s, taken at now. The
// rates are over the time since the previous report, the ETA over the
// whole run so far.
func (p *progress) report(now time.Time, s snapshot) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var rate, byteRate float64
	if dt := now.Sub(p.last).Seconds(); dt > 0 {
		rate = float64(s.Done-p.lastDone) / dt
		byteRate = float64(s.Bytes-p.lastBytes) / dt
	}
	p.last, p.lastDone, p.lastBytes = now, s.Done, s.Bytes
	eta := etaOf(s)
	if p.bar {
		fmt.Fprintf(p.w, "\r%s\x1b[K", barLine(s, rate, byteRate, eta))
		p.drawn = true
		return
	}
	r := slog.NewRecord(now, slog.LevelInfo, "progress", 0)
	r.AddAttrs(
		slog.Int64("done", s.Done),
		slog.Int64("total", s.Total),
		slog.Float64("nodes_per_s", round1(rate)),
		slog.Float64("mb_per_s", round2(byteRate/1e6)),
		slog.Int64("in_flight", s.InFlight),
		slog.Int64("retries", s.Retries),
		slog.Int64("status_429", s.Status429),
		slog.Int64("dead", s.Dead),
		slog.Float64("elapsed_s", round1(s.Elapsed.Seconds())),
	)
	if eta >= 0 {
		r.AddAttrs(slog.Float64("eta_s", round1(eta.Seconds())))
	}
	if s.Memory.RSS > 0 {
		r.AddAttrs(slog.Float64("rss_mib", round1(float64(s.Memory.RSS)/(1<<20))))
	}
	// A write error on the progress stream must not stop the run.
	_ = p.handler.Handle(context.Background(), r)
}

// finish ends a bar line so the summary starts on its own line.
func (p *progress) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.drawn {
		fmt.Fprintln(p.w)
		p.drawn = false
	}
}

// above runs fn (which writes a log record) with the bar line cleared, so
// that the record gets a line of its own; the next report redraws the bar.
func (p *progress) above(fn func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.drawn {
		fmt.Fprint(p.w, "\r\x1b[K")
		p.drawn = false
	}
	fn()
}

// etaOf extrapolates the run's average rate; -1 when unknown.
func etaOf(s snapshot) time.Duration {
	if s.Done >= s.Total {
		return 0
	}
	if s.Done == 0 || s.Elapsed <= 0 {
		return -1
	}
	left := float64(s.Total-s.Done) * float64(s.Elapsed) / float64(s.Done)
	return time.Duration(left).Round(time.Second)
}

const barWidth = 24

func barLine(s snapshot, rate, byteRate float64, eta time.Duration) string {
	frac := 1.0
	if s.Total > 0 {
		frac = min(1, float64(s.Done)/float64(s.Total))
	}
	fill := int(frac * barWidth)
	var b strings.Builder
	b.WriteByte('[')
	b.WriteString(strings.Repeat("=", fill))
	if fill < barWidth {
		b.WriteByte('>')
		b.WriteString(strings.Repeat(" ", barWidth-fill-1))
	}
	fmt.Fprintf(&b, "] %5.1f%% %d/%d nodes %.1f/s %.2f MB/s | in flight %d, retries %d, 429s %d, dead %d | %s",
		frac*100, s.Done, s.Total, rate, byteRate/1e6, s.InFlight, s.Retries, s.Status429, s.Dead, s.Elapsed.Round(time.Second))
	if eta >= 0 {
		fmt.Fprintf(&b, ", ETA %s", eta)
	}
	if s.Memory.RSS > 0 {
		fmt.Fprintf(&b, " | RSS %.1f MiB", float64(s.Memory.RSS)/(1<<20))
	}
	return b.String()
}

func round1(f float64) float64 { return math.Round(f*10) / 10 }
func round2(f float64) float64 { return math.Round(f*100) / 100 }
