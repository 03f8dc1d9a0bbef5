package batch

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
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
	Done      int64         // nodes finished: OK + Dead + Resumed
	Resumed   int64         // nodes of Total that an interrupted run committed as parts
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
	width   func() int   // cells of the bar's terminal, read at each redraw
	handler slog.Handler // nil when bar

	mu    sync.Mutex
	drawn bool // a bar line is on screen: clear it before other output, end it with a newline

	lastBar lastBar // what the bar shows, to redraw it at a new width

	// samples are the recent reports, oldest first, from which the
	// rates are taken over about rateWindow. The first is the newest one
	// at least rateWindow old (or the run's start).
	samples []rateSample
}

// rateWindow is the span the shown rates are averaged over: long enough
// that a batch of slow nodes does not swing the rate from 150/s to 0,
// short enough to follow a change of --rate or a 429 storm.
const rateWindow = 10 * time.Second

// A rateSample is the counters at one report.
type rateSample struct {
	at          time.Time
	done, bytes int64
}

func newProgress(w io.Writer, f ProgressFormat, start time.Time) *progress {
	p := &progress{w: w, width: func() int { return barDefault }, samples: []rateSample{{at: start}}}
	file, isFile := w.(*os.File)
	if isFile {
		p.width = termWidth(file)
	}
	if f == ProgressAuto {
		f = ProgressText
		if isFile && term.IsTerminal(int(file.Fd())) {
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

// rates adds the sample of s at now and returns nodes/s and bytes/s over
// the last rateWindow or so.
func (p *progress) rates(now time.Time, s snapshot) (rate, byteRate float64) {
	p.samples = append(p.samples, rateSample{at: now, done: s.Done - s.Resumed, bytes: s.Bytes})
	base := 0
	for i, x := range p.samples {
		if now.Sub(x.at) >= rateWindow {
			base = i
		}
	}
	p.samples = p.samples[base:]
	b := p.samples[0]
	if dt := now.Sub(b.at).Seconds(); dt > 0 {
		rate = float64(s.Done-s.Resumed-b.done) / dt
		byteRate = float64(s.Bytes-b.bytes) / dt
	}
	return rate, byteRate
}

// report writes one progress line or record for s, taken at now. The
// rates are over about the last rateWindow, the ETA over the whole run so
// far.
func (p *progress) report(now time.Time, s snapshot) {
	p.mu.Lock()
	defer p.mu.Unlock()
	rate, byteRate := p.rates(now, s)
	eta := etaOf(s)
	if p.bar {
		p.lastBar = lastBar{s: s, rate: rate, byteRate: byteRate, eta: eta, ok: true}
		fmt.Fprintf(p.w, "\r%s\x1b[K", barLine(s, rate, byteRate, eta, p.width()))
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

// lastBar is the figures of the bar on screen.
type lastBar struct {
	s              snapshot
	rate, byteRate float64
	eta            time.Duration
	ok             bool // a bar was drawn
}

// redraw draws the bar again at the terminal's current width, at once:
// the monitor calls it on SIGWINCH, so a narrowed pane does not wrap the
// old line until the next tick.
func (p *progress) redraw() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.bar || !p.drawn || !p.lastBar.ok {
		return
	}
	b := p.lastBar
	fmt.Fprintf(p.w, "\r%s\x1b[K", barLine(b.s, b.rate, b.byteRate, b.eta, p.width()))
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
	fetched := s.Done - s.Resumed // the rate is this run's
	if fetched <= 0 || s.Elapsed <= 0 {
		return -1
	}
	left := float64(s.Total-s.Done) * float64(s.Elapsed) / float64(fetched)
	return time.Duration(left).Round(time.Second)
}

func round1(f float64) float64 { return math.Round(f*10) / 10 }
func round2(f float64) float64 { return math.Round(f*100) / 100 }
