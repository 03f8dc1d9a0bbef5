package report

import (
	"fmt"
	"image/color"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/sluicehq/sluice/bench/measure"
)

// timelineSlot is the width of the timeline chart's points: two of the
// measure's bins, short enough to show a pause or a burst, long enough
// that one request more or less moves a point by 5 requests/s.
const timelineSlot = 2 * measure.TimelineBin

// timelineColors are the lines of the concurrencies, in order.
var timelineColors = []color.Color{
	color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff},
	color.RGBA{R: 0xff, G: 0x7f, B: 0x0e, A: 0xff},
	color.RGBA{R: 0x2c, G: 0xa0, B: 0x2c, A: 0xff},
	color.RGBA{R: 0x94, G: 0x67, B: 0xbd, A: 0xff},
	color.RGBA{R: 0x8c, G: 0x56, B: 0x4b, A: 0xff},
	color.RGBA{R: 0x7f, G: 0x7f, B: 0x7f, A: 0xff},
}

// timelineChart draws the requests sent per second over time, per
// timelineSlot, for the first run of each concurrency: the server's limit
// as a dashed line and each line's first 429 as a cross, so that how
// fast the client settles under the limit after it shows.
func timelineChart(res *measure.ScrapeResult) (*plot.Plot, error) {
	p := newPlot("Scrape: request rate over time (first run of each concurrency)",
		fmt.Sprintf("seconds since the run's start (points per %v)", timelineSlot), "requests sent per second")
	var end, top float64
	drawn := 0
	for _, pt := range res.Points {
		if pt.Error != "" || len(pt.Reps) == 0 || len(pt.Reps[0].Sent) == 0 {
			continue
		}
		r := pt.Reps[0]
		per := int(timelineSlot / measure.TimelineBin)
		var xys plotter.XYs
		for i := 0; i < len(r.Sent); i += per {
			n := 0
			for _, v := range r.Sent[i:min(i+per, len(r.Sent))] {
				n += int(v)
			}
			y := float64(n) / timelineSlot.Seconds()
			xys = append(xys, plotter.XY{X: (time.Duration(i)*measure.TimelineBin + timelineSlot/2).Seconds(), Y: y})
			top = max(top, y)
		}
		end = max(end, (time.Duration(len(r.Sent)) * measure.TimelineBin).Seconds())
		c := timelineColors[drawn%len(timelineColors)]
		drawn++
		line, err := plotter.NewLine(xys)
		if err != nil {
			return nil, err
		}
		line.Color, line.Width = c, vg.Points(1.5)
		p.Add(line)
		p.Legend.Add(fmt.Sprintf("concurrency %d", pt.Concurrency), line)
		if r.First429Nanos >= 0 {
			x := time.Duration(r.First429Nanos).Seconds()
			sc, err := plotter.NewScatter(plotter.XYs{{X: x, Y: 0}})
			if err != nil {
				return nil, err
			}
			sc.Color, sc.Shape, sc.Radius = c, draw.CrossGlyph{}, vg.Points(5)
			p.Add(sc)
		}
	}
	if drawn == 0 {
		return nil, nil
	}
	if limit := res.Config.LimitPerSecond(); limit > 0 {
		if _, err := addLimitLine(p, 0, end, limit, fmt.Sprintf("server limit (%s requests/s); × on the axis: first 429", fmtMBps(limit))); err != nil {
			return nil, err
		}
		top = max(top, limit)
	}
	p.X.Min, p.X.Max = 0, end
	p.Y.Min, p.Y.Max = 0, top*1.35 // the legend sits above the lines
	return p, nil
}
