package report

import (
	"fmt"
	"slices"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"

	"github.com/sluicehq/sluice/bench/measure"
)

// latencyPanel draws the nodes' fetch latency (p50 and p95, medians over
// the runs) against concurrency, below the rate chart: past the point
// where the server's limit sets the pace, more workers only wait longer,
// which this panel shows and the rates above do not.
func latencyPanel(res *measure.ScrapeResult) (*plot.Plot, error) {
	var p50, p95 plotter.XYs
	var conc []int64
	top := 0.0
	for _, pt := range res.Points {
		if pt.Error != "" || len(pt.Reps) == 0 {
			continue
		}
		x := float64(pt.Concurrency)
		p50 = append(p50, plotter.XY{X: x, Y: pt.P50Millis})
		p95 = append(p95, plotter.XY{X: x, Y: pt.P95Millis})
		conc = append(conc, int64(pt.Concurrency))
		top = max(top, pt.P95Millis)
	}
	p := newPlot("Node latency by concurrency: what more workers cost",
		"concurrency (log scale)", "node latency (ms, median of the runs)")
	if len(conc) == 0 {
		return p, nil
	}
	for _, s := range []struct {
		xys   plotter.XYs
		label string
		k     measure.Kind
	}{
		{p95, "p95", measure.KindFull},
		{p50, "p50", measure.KindStream},
	} {
		c := kindColors[s.k]
		line, points, err := circleLine(s.xys, c)
		if err != nil {
			return nil, err
		}
		p.Add(line, points)
		p.Legend.Add(s.label+" node latency", line, points)
		if err := labelEnd(p, s.xys, fmt.Sprintf("%s %s ms", s.label, fmtMBps(s.xys[len(s.xys)-1].Y)), c); err != nil {
			return nil, err
		}
	}
	lo, hi := float64(slices.Min(conc)), float64(slices.Max(conc))
	p.X.Scale = plot.LogScale{}
	p.X.Min, p.X.Max = lo/1.6, hi*endRoom
	var ticks []plot.Tick
	for _, c := range conc {
		ticks = append(ticks, plot.Tick{Value: float64(c), Label: fmt.Sprint(c)})
	}
	p.X.Tick.Marker = plot.ConstantTicks(ticks)
	p.Y.Min, p.Y.Max = 0, max(top, 1)*1.35
	p.Y.Tick.Marker = plot.TickerFunc(func(lo, hi float64) []plot.Tick {
		ticks := plot.DefaultTicks{}.Ticks(lo, hi)
		for i := range ticks {
			if ticks[i].Label != "" {
				ticks[i].Label = strconv.FormatFloat(ticks[i].Value, 'f', -1, 64)
			}
		}
		return ticks
	})
	return p, nil
}
