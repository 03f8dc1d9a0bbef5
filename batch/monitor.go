package batch

import (
	"os"
	"time"

	"github.com/sluicehq/sluice/scrape"
)

// monitor is the runner's one periodic goroutine: on each tick it writes
// progress and, with Options.Adapt, resizes the pool.
type monitor struct {
	r      *runner
	prog   *progress // nil: no progress output
	adapt  *Adapter  // nil: fixed concurrency
	resize <-chan os.Signal
	// stopResize ends the resize notifications; nil without a bar.
	stopResize func()
}

func (r *runner) newMonitor() (*monitor, error) {
	m := &monitor{r: r}
	if r.o.Progress != nil {
		m.prog = newProgress(r.o.Progress, r.o.ProgressFormat, r.start)
		if m.prog.bar {
			// A resized terminal gets a bar of its new width at once.
			c := make(chan os.Signal, 1)
			m.resize, m.stopResize = c, notifyResize(c)
		}
	}
	if r.o.Adapt != nil {
		a, err := NewAdapter(*r.o.Adapt, r.o.Concurrency, r.start)
		if err != nil {
			return nil, err
		}
		m.adapt = a
	}
	return m, nil
}

// loop ticks every Interval of the run's clock until done is closed. A
// tick is a timer set again after each step, so a fake clock moves the
// monitor as it moves everything else.
func (m *monitor) loop(done <-chan struct{}) {
	tick := m.r.o.Clock.NewTimer(m.r.o.Interval)
	defer tick.Stop()
	if m.stopResize != nil {
		defer m.stopResize()
	}
	for {
		select {
		case <-done:
			return
		case <-tick.C():
			m.step(m.r.o.Clock.Now())
			tick.Reset(m.r.o.Interval)
		case <-m.resize: // nil without a bar: never ready
			m.prog.redraw()
		}
	}
}

// step does one tick's work at now.
func (m *monitor) step(now time.Time) {
	r := m.r
	st := r.fetcherStats()
	if m.adapt != nil {
		d := m.adapt.Observe(now, AdaptSample{
			Done:      r.ok.Load() + r.dead.Load(),
			Latency:   time.Duration(r.latSum.Load()),
			Status429: st.status429,
			Stalls:    st.stalls,
		})
		if d.Changed {
			r.pool.Resize(d.Size)
			r.log("pool resized", "size", d.Size, "reason", d.Reason, "nodes_per_s", round1(d.Rate), "latency", d.Latency)
		}
	}
	if m.prog != nil {
		m.prog.report(now, r.snapshot(now, st))
	}
	if r.o.Observe != nil {
		var sum Summary
		r.fillAt(now, &sum, st)
		r.o.Observe(sum)
	}
}

// final writes the last progress report and ends a bar line.
func (m *monitor) final(now time.Time) {
	if m.prog == nil {
		return
	}
	m.prog.report(now, m.r.snapshot(now, m.r.fetcherStats()))
	m.prog.finish()
}

// statsView is what the monitor reads from a Fetcher's Stats, when it has them.
type statsView struct {
	status429, stalls, retries int64
	full                       scrape.Stats
}

// fetcherStats reads the Fetcher's counters; zero without Options.Stats.
func (r *runner) fetcherStats() statsView {
	if r.o.Stats == nil {
		return statsView{}
	}
	fs := r.o.Stats.Stats()
	return statsView{status429: fs.Status429, stalls: fs.Stalls, retries: fs.Retries, full: fs}
}

// snapshot reads the counters (and the memory) at now. The Fetcher's own
// retry count is live (it counts attempts of nodes still in flight), ours
// only grows as nodes finish: show the larger.
func (r *runner) snapshot(now time.Time, st statsView) snapshot {
	s := snapshot{
		OK:        r.ok.Load(),
		Dead:      r.dead.Load(),
		Total:     r.total,
		InFlight:  r.inFlight.Load(),
		Retries:   max(r.retries.Load(), st.retries),
		Status429: st.status429,
		Bytes:     r.bytes.Load(),
		Elapsed:   now.Sub(r.start),
	}
	s.Resumed = r.resumed.Load()
	s.Done = s.OK + s.Dead + s.Resumed
	if m, err := r.o.Memory(); err == nil {
		s.Memory = m
		r.notePeak(m.Peak)
	}
	return s
}
