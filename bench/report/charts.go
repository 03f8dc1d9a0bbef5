package report

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"slices"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/sluicehq/sluice/bench/measure"
	"github.com/sluicehq/sluice/bench/units"
	"github.com/sluicehq/sluice/extract"
)

// Chart size: wide enough for five bars in three groups with labels.
const (
	chartWidth  = 9 * vg.Inch
	chartHeight = 5.5 * vg.Inch
)

// kindColors gives each kind the same color in every chart: modes in
// strong colors, peers in greys, the read floor in a pale one.
var kindColors = map[measure.Kind]color.Color{
	measure.KindStream:    color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff},
	measure.KindRegex:     color.RGBA{R: 0xff, G: 0x7f, B: 0x0e, A: 0xff},
	measure.KindFull:      color.RGBA{R: 0x2c, G: 0xa0, B: 0x2c, A: 0xff},
	measure.PeerToken:     color.RGBA{R: 0x55, G: 0x55, B: 0x55, A: 0xff},
	measure.PeerUnmarshal: color.RGBA{R: 0x99, G: 0x99, B: 0x99, A: 0xff},
	measure.KindRead:      color.RGBA{R: 0xc5, G: 0xb0, B: 0xd5, A: 0xff},
}

// Charts draws the charts of the report's sections, keyed by file name.
func (r *Report) Charts() (map[string][]byte, error) {
	out := map[string][]byte{}
	add := func(name string, p *plot.Plot, err error) error {
		if err != nil || p == nil {
			return err
		}
		svg, err := renderSVG(p)
		if err != nil {
			return fmt.Errorf("report: chart %s: %w", name, err)
		}
		out[name] = svg
		return nil
	}
	if r.Extract != nil && r.Extract.Result != nil {
		res := r.Extract.Result
		p, err := throughputChart(res)
		if err := add(ThroughputSVG, p, err); err != nil {
			return nil, err
		}
		p, err = memoryChart(res)
		if err := add(MemorySVG, p, err); err != nil {
			return nil, err
		}
		p, err = sweepChart(res)
		if err := add(SweepSVG, p, err); err != nil {
			return nil, err
		}
	}
	for _, sec := range []struct {
		rep    *ScrapeReport
		prefix string
	}{{r.Scrape, ""}, {r.ScrapeNginx, NginxPrefix}} {
		if sec.rep == nil || sec.rep.Result == nil {
			continue
		}
		p, err := concurrencyChart(sec.rep.Result)
		if err != nil {
			return nil, err
		}
		if p != nil {
			lat, err := latencyPanel(sec.rep.Result)
			if err != nil {
				return nil, err
			}
			svg, err := renderStack(p, lat)
			if err != nil {
				return nil, fmt.Errorf("report: chart %s: %w", sec.prefix+ConcurrencySVG, err)
			}
			out[sec.prefix+ConcurrencySVG] = svg
		}
		p, err = timelineChart(sec.rep.Result)
		if err := add(sec.prefix+TimelineSVG, p, err); err != nil {
			return nil, err
		}
	}
	if r.Coord != nil && r.Coord.Result != nil {
		p, err := coordChart(r.Coord.Result)
		if err := add(CoordSVG, p, err); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// newPlot returns a plot with sans-serif text, a grid and the legend at
// the top left.
func newPlot(title, xLabel, yLabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = xLabel
	p.Y.Label.Text = yLabel
	sans := func(size vg.Length) font.Font {
		return font.Font{Typeface: "Liberation", Variant: "Sans", Size: size}
	}
	p.Title.TextStyle.Font = sans(15)
	p.Title.Padding = vg.Points(8)
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font = sans(12)
		a.Tick.Label.Font = sans(10)
	}
	p.Legend.TextStyle.Font = sans(11)
	p.Legend.Top, p.Legend.Left = true, true
	p.Legend.XOffs, p.Legend.YOffs = vg.Points(16), -vg.Points(6)
	p.Legend.ThumbnailWidth = vg.Points(24)
	p.Legend.Padding = vg.Points(4)
	grid := plotter.NewGrid()
	grid.Vertical.Color = nil
	grid.Horizontal.Color = color.Gray{Y: 0xdd}
	p.Add(grid)
	return p
}

func renderSVG(p *plot.Plot) ([]byte, error) {
	c := vgsvg.New(chartWidth, chartHeight)
	// A margin all round: the title would otherwise touch the top edge.
	m := vg.Points(10)
	p.Draw(draw.Crop(draw.New(c), m, -m, m, -m))
	var b bytes.Buffer
	if _, err := c.WriteTo(&b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// mainSizes returns the body sizes of the main (not sweep) rows in order,
// and the kinds measured at any of them, in report order.
func mainSizes(res *measure.ExtractResult) ([]int64, []measure.Kind) {
	var sizes []int64
	seen := map[measure.Kind]bool{}
	for _, row := range res.Rows {
		if row.Sweep {
			continue
		}
		if !slices.Contains(sizes, row.Size) {
			sizes = append(sizes, row.Size)
		}
		seen[row.Kind] = true
	}
	var kinds []measure.Kind
	for _, k := range measure.Kinds() {
		if seen[k] {
			kinds = append(kinds, k)
		}
	}
	return sizes, kinds
}

// findRow returns the main row of kind k at size, if measured without error.
func findRow(res *measure.ExtractResult, k measure.Kind, size int64) (measure.Row, bool) {
	for _, row := range res.Rows {
		if !row.Sweep && row.Kind == k && row.Size == size && row.Error == "" && len(row.Reps) > 0 {
			return row, true
		}
	}
	return measure.Row{}, false
}

func inputNote(res *measure.ExtractResult) string {
	if res.Config.Gzip {
		return ", gzip input"
	}
	return ""
}

// throughputChart draws grouped bars: one group per body size, one bar per
// kind (the read floor left out: it is not an extraction), labelled with
// the median MB/s. A kind not measured at a size has no bar there.
func throughputChart(res *measure.ExtractResult) (*plot.Plot, error) {
	sizes, kinds := mainSizes(res)
	kinds = slices.DeleteFunc(kinds, func(k measure.Kind) bool { return k == measure.KindRead })
	if len(sizes) == 0 || len(kinds) == 0 {
		return nil, nil
	}
	p := newPlot("Extraction throughput by mode and body size"+inputNote(res),
		"body size", "throughput (MB/s, median; MB = 10⁶ bytes)")
	kinds = slices.DeleteFunc(kinds, func(k measure.Kind) bool {
		for _, size := range sizes {
			if _, ok := findRow(res, k, size); ok {
				return false
			}
		}
		return true // no bar anywhere: not in the chart nor its legend
	})
	if len(kinds) == 0 {
		return nil, nil
	}
	groupWidth := (chartWidth - vg.Inch) / vg.Length(len(sizes)) * 0.8
	w := groupWidth / vg.Length(len(kinds))
	top := 0.0
	for i, k := range kinds {
		vals := make(plotter.Values, len(sizes))
		var labels plotter.XYLabels
		for j, size := range sizes {
			if row, ok := findRow(res, k, size); ok {
				vals[j] = row.MedianMBps
				top = max(top, row.MedianMBps)
				labels.XYs = append(labels.XYs, plotter.XY{X: float64(j), Y: row.MedianMBps})
				labels.Labels = append(labels.Labels, fmtMBps(row.MedianMBps))
			}
		}
		bars, err := plotter.NewBarChart(vals, w)
		if err != nil {
			return nil, err
		}
		bars.Color = kindColors[k]
		bars.LineStyle.Width = 0
		bars.Offset = (vg.Length(i) - vg.Length(len(kinds)-1)/2) * w
		p.Add(bars)
		p.Legend.Add(kindLabel(k), bars)
		if err := addSkipLabels(p, res, k, sizes, bars.Offset); err != nil {
			return nil, err
		}
		if len(labels.XYs) > 0 {
			l, err := plotter.NewLabels(labels)
			if err != nil {
				return nil, err
			}
			for i := range l.TextStyle {
				l.TextStyle[i].Font = font.Font{Typeface: "Liberation", Variant: "Sans", Size: 8}
				l.TextStyle[i].XAlign = draw.XCenter
			}
			l.Offset = vg.Point{X: bars.Offset, Y: vg.Points(2)}
			p.Add(l)
		}
	}
	names := make([]string, len(sizes))
	for j, s := range sizes {
		names[j] = units.FormatSize(s)
	}
	p.NominalX(names...)
	p.X.Min, p.X.Max = -0.5, float64(len(sizes))-0.5 // whole groups inside the axis
	p.Y.Min = 0
	p.Y.Max = top * 1.35 // room for the labels and the legend above the bars
	return p, nil
}

// addSkipLabels writes "skipped: memory cap", upwards, where kind k has
// no bar because the memory cap skipped it, so that a gap is not read as
// a speed of zero.
func addSkipLabels(p *plot.Plot, res *measure.ExtractResult, k measure.Kind, sizes []int64, offset vg.Length) error {
	var l plotter.XYLabels
	for j, size := range sizes {
		for _, s := range res.Skipped {
			if s.Kind == k && s.Size == size {
				l.XYs = append(l.XYs, plotter.XY{X: float64(j), Y: 0})
				l.Labels = append(l.Labels, "skipped: memory cap")
			}
		}
	}
	if len(l.XYs) == 0 {
		return nil
	}
	labels, err := plotter.NewLabels(l)
	if err != nil {
		return err
	}
	for i := range labels.TextStyle {
		labels.TextStyle[i].Font = font.Font{Typeface: "Liberation", Variant: "Sans", Size: 8}
		labels.TextStyle[i].Color = kindColors[k]
		labels.TextStyle[i].Rotation = math.Pi / 2
		labels.TextStyle[i].XAlign = draw.XLeft
		labels.TextStyle[i].YAlign = draw.YCenter
	}
	labels.Offset = vg.Point{X: offset, Y: vg.Points(4)}
	p.Add(labels)
	return nil
}

// memoryChart draws peak RSS against body size, both on log scales, one
// line per kind: flat lines are the modes whose memory does not grow with
// the body. The read floor is drawn first, thin and pale, so that the
// modes near it (stream, regex: the point of the chart) stay on top; each
// line is named at its end, and the title says the headline.
func memoryChart(res *measure.ExtractResult) (*plot.Plot, error) {
	sizes, kinds := mainSizes(res)
	if len(sizes) == 0 || len(kinds) == 0 {
		return nil, nil
	}
	biggest := slices.Max(sizes)
	title := "Peak memory (RSS of the process) by mode and body size" + inputNote(res)
	if row, ok := findRow(res, measure.KindStream, biggest); ok && row.PeakRSSBytes > 0 {
		title = fmt.Sprintf("Peak memory: stream mode stays at %s for a %s body%s",
			units.FormatSize(row.PeakRSSBytes), units.FormatSize(biggest), inputNote(res))
	}
	p := newPlot(title, "body size (log scale)", "peak RSS (log scale)")
	// The floor first: what is drawn later lies on top.
	if i := slices.Index(kinds, measure.KindRead); i > 0 {
		kinds = append([]measure.Kind{measure.KindRead}, slices.Delete(kinds, i, i+1)...)
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	var names endLabels
	for _, k := range kinds {
		var xys plotter.XYs
		for _, size := range sizes {
			if row, ok := findRow(res, k, size); ok && row.PeakRSSBytes > 0 {
				y := float64(row.PeakRSSBytes)
				xys = append(xys, plotter.XY{X: float64(size), Y: y})
				lo, hi = min(lo, y), max(hi, y)
			}
		}
		if len(xys) == 0 {
			continue
		}
		line, points, err := plotter.NewLinePoints(xys)
		if err != nil {
			return nil, err
		}
		c := kindColors[k]
		line.Color, points.Color = c, c
		line.Width = vg.Points(2.5)
		points.Shape, points.Radius = draw.CircleGlyph{}, vg.Points(4)
		label := kindLabel(k)
		if k == measure.KindRead {
			line.Width, points.Radius = vg.Points(1), vg.Points(2)
			line.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
			label += " (floor)"
		}
		p.Add(line, points)
		names.add(xys, label+" "+units.FormatSize(int64(xys[len(xys)-1].Y)), c)
	}
	if math.IsInf(lo, 1) {
		return nil, nil
	}
	setLogBytesAxis(&p.X, float64(slices.Min(sizes)), float64(biggest), sizes)
	p.X.Max = float64(biggest) * 12 // room for the names at the lines' ends
	setLogBytesAxis(&p.Y, lo, hi, nil)
	if err := names.place(p, p.Y.Min, p.Y.Max, true); err != nil {
		return nil, err
	}
	return p, nil
}

// setLogBytesAxis makes a a log-scale axis of byte counts covering
// [lo, hi] with some margin, ticked at ticks (or at powers of two when
// ticks is nil) and labelled in binary units.
func setLogBytesAxis(a *plot.Axis, lo, hi float64, ticks []int64) {
	a.Scale = plot.LogScale{}
	a.Min, a.Max = lo/1.6, hi*1.6
	var marks []plot.Tick
	if ticks != nil {
		for _, t := range ticks {
			marks = append(marks, plot.Tick{Value: float64(t), Label: units.FormatSize(t)})
		}
	} else {
		marks = powerOfTwoTicks(a.Min, a.Max)
	}
	a.Tick.Marker = plot.ConstantTicks(marks)
}

// powerOfTwoTicks labels powers of two in [lo, hi], every second or fourth
// one when there are many, with unlabelled minor ticks between.
func powerOfTwoTicks(lo, hi float64) []plot.Tick {
	first, last := math.Ceil(math.Log2(lo)), math.Floor(math.Log2(hi))
	step := 1.0
	for (last-first)/step > 7 {
		step *= 2
	}
	var ticks []plot.Tick
	for e := first; e <= last; e++ {
		t := plot.Tick{Value: math.Exp2(e)}
		if math.Mod(e-first, step) == 0 {
			t.Label = units.FormatSize(int64(t.Value))
		}
		ticks = append(ticks, t)
	}
	return ticks
}

// sweepChart draws stream mode's throughput against its buffer size:
// the median of the repetitions with their spread (min to max) as error
// bars, the default buffer marked, and the json-token peer at the same
// body size as a reference line.
func sweepChart(res *measure.ExtractResult) (*plot.Plot, error) {
	var xys plotter.XYs
	var errs plotter.YErrors
	var bufs []int64
	top, nreps := 0.0, 0
	for _, row := range res.Rows {
		if row.Sweep && row.Error == "" && len(row.Reps) > 0 {
			nreps = max(nreps, len(row.Reps))
			lo, hi := math.Inf(1), math.Inf(-1)
			for _, rep := range row.Reps {
				lo, hi = min(lo, rep.MBps), max(hi, rep.MBps)
			}
			xys = append(xys, plotter.XY{X: float64(row.BufferSize), Y: row.MedianMBps})
			errs = append(errs, struct{ Low, High float64 }{row.MedianMBps - lo, hi - row.MedianMBps})
			bufs = append(bufs, int64(row.BufferSize))
			top = max(top, hi)
		}
	}
	if len(xys) == 0 {
		return nil, nil
	}
	p := newPlot(fmt.Sprintf("Stream mode: throughput by buffer size (%s body%s)", units.FormatSize(res.Config.SweepSize), inputNote(res)),
		"buffer size (log scale)", "throughput (MB/s; MB = 10⁶ bytes)")
	lo, hi := float64(slices.Min(bufs)), float64(slices.Max(bufs))
	if def := float64(extract.DefaultBufferSize); def >= lo && def <= hi {
		mark, err := plotter.NewLine(plotter.XYs{{X: def, Y: 0}, {X: def, Y: top * 1.05}})
		if err != nil {
			return nil, err
		}
		mark.Color = color.Gray{Y: 0x88}
		mark.Dashes = []vg.Length{vg.Points(2), vg.Points(3)}
		p.Add(mark)
		if err := labelEnd(p, mark.XYs, "default "+units.FormatSize(int64(def)), color.Gray{Y: 0x55}); err != nil {
			return nil, err
		}
	}
	c := kindColors[measure.KindStream]
	line, points, err := circleLine(xys, c)
	if err != nil {
		return nil, err
	}
	bars, err := plotter.NewYErrorBars(struct {
		plotter.XYer
		plotter.YErrorer
	}{xys, errs})
	if err != nil {
		return nil, err
	}
	bars.Color, bars.Width = c, vg.Points(1.2)
	p.Add(line, points, bars)
	p.Legend.Add(fmt.Sprintf("stream: median of %d runs, bars from the slowest to the fastest", nreps), line, points)
	if err := labelEnd(p, xys, "stream", c); err != nil {
		return nil, err
	}
	if peer, ok := findRow(res, measure.PeerToken, res.Config.SweepSize); ok {
		ref, err := plotter.NewLine(plotter.XYs{{X: lo / 1.6, Y: peer.MedianMBps}, {X: hi, Y: peer.MedianMBps}})
		if err != nil {
			return nil, err
		}
		ref.Color = kindColors[measure.PeerToken]
		ref.Dashes = []vg.Length{vg.Points(6), vg.Points(4)}
		ref.Width = vg.Points(1.5)
		p.Add(ref)
		name := fmt.Sprintf("json Decoder.Token, same body (%s MB/s)", fmtMBps(peer.MedianMBps))
		p.Legend.Add(name, ref)
		if err := labelEnd(p, ref.XYs, "Decoder.Token", ref.Color); err != nil {
			return nil, err
		}
		top = max(top, peer.MedianMBps)
	}
	setLogBytesAxis(&p.X, lo, hi, bufs)
	p.X.Max = hi * endRoom
	p.Y.Min, p.Y.Max = 0, top*1.25
	return p, nil
}

// concurrencyChart draws the request rate the pipeline achieved against
// its concurrency (log scale): admitted requests, all requests sent, and
// the server's limit as a dashed line, so that the point where the limit
// and not the client sets the pace shows.
func concurrencyChart(res *measure.ScrapeResult) (*plot.Plot, error) {
	var admitted, sent, ceiling plotter.XYs
	var conc []int64
	top := res.Config.LimitPerSecond()
	for _, p := range res.Points {
		if p.Error != "" || len(p.Reps) == 0 {
			continue
		}
		x := float64(p.Concurrency)
		sentRate := measure.MedianOf(p.Reps, func(r measure.ScrapeRep) float64 { return r.RequestsPerSec })
		admitted = append(admitted, plotter.XY{X: x, Y: p.AdmittedPerSec})
		sent = append(sent, plotter.XY{X: x, Y: sentRate})
		conc = append(conc, int64(p.Concurrency))
		top = max(top, p.AdmittedPerSec, sentRate)
		if c := measure.MedianOf(p.Reps, func(r measure.ScrapeRep) float64 {
			return float64(r.Admissible) / (float64(r.ElapsedNanos) / 1e9)
		}); c > 0 {
			ceiling = append(ceiling, plotter.XY{X: x, Y: c})
			top = max(top, c)
		}
	}
	if len(admitted) == 0 {
		return nil, nil
	}
	// A long X label makes gonum pad the right side: keep it short.
	p := newPlot("Scrape: request rate by concurrency (nodes fetched at once)",
		"concurrency (log scale)", "requests per second (median)")
	var names endLabels
	for _, s := range []struct {
		xys   plotter.XYs
		label string
		c     color.Color
	}{
		{sent, "sent: every request, the ones refused with 429 included", kindColors[measure.KindRegex]},
		{admitted, "admitted: requests the server answered (not 429)", kindColors[measure.KindStream]},
	} {
		line, points, err := circleLine(s.xys, s.c)
		if err != nil {
			return nil, err
		}
		p.Add(line, points)
		p.Legend.Add(s.label, line, points)
		names.add(s.xys, strings.SplitN(s.label, ":", 2)[0], s.c)
	}
	lo, hi := float64(slices.Min(conc)), float64(slices.Max(conc))
	if limit := res.Config.LimitPerSecond(); limit > 0 {
		ref, err := addLimitLine(p, lo/1.6, hi*1.6, limit, fmt.Sprintf("server limit (%s requests/s)", fmtMBps(limit)))
		if err != nil {
			return nil, err
		}
		names.add(plotter.XYs{{X: hi, Y: limit}}, "limit", ref.Color)
	}
	if len(ceiling) > 0 {
		// Fixed windows: over a short run the server admits up to a
		// window's worth more at each edge. This is that ceiling.
		line, points, err := plotter.NewLinePoints(ceiling)
		if err != nil {
			return nil, err
		}
		c := color.RGBA{R: 0x8c, G: 0x1c, B: 0x1c, A: 0xff}
		line.Color, points.Color = c, c
		line.Width = vg.Points(2)
		line.Dashes = []vg.Length{vg.Points(2), vg.Points(3)}
		points.Shape, points.Radius = draw.TriangleGlyph{}, vg.Points(3.5)
		p.Add(line, points)
		p.Legend.Add("ceiling: most the server admits in the run's fixed windows", line, points)
		names.add(ceiling, "ceiling", c)
	}
	if err := countAxis(p, conc, top, &names); err != nil {
		return nil, err
	}
	return p, nil
}

// addLimitLine draws a limit (the server's, or a shared budget) as the
// dashed red line from x0 to x1 that every rate chart uses, with its
// legend entry.
func addLimitLine(p *plot.Plot, x0, x1, y float64, legend string) (*plotter.Line, error) {
	ref, err := plotter.NewLine(plotter.XYs{{X: x0, Y: y}, {X: x1, Y: y}})
	if err != nil {
		return nil, err
	}
	ref.Color = color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff}
	ref.Dashes = []vg.Length{vg.Points(6), vg.Points(4)}
	ref.Width = vg.Points(1.5)
	p.Add(ref)
	p.Legend.Add(legend, ref)
	return ref, nil
}

// countAxis sets a log x axis ticked at each count of xs (workers,
// processes), a y axis from 0 with room above top for the legend, and
// places the line-end labels.
func countAxis(p *plot.Plot, xs []int64, top float64, names *endLabels) error {
	lo, hi := float64(slices.Min(xs)), float64(slices.Max(xs))
	p.X.Scale = plot.LogScale{}
	p.X.Min, p.X.Max = lo/1.6, hi*endRoom
	var ticks []plot.Tick
	for _, n := range xs {
		ticks = append(ticks, plot.Tick{Value: float64(n), Label: fmt.Sprint(n)})
	}
	p.X.Tick.Marker = plot.ConstantTicks(ticks)
	p.Y.Min, p.Y.Max = 0, top*1.45 // the legend sits above the lines
	return names.place(p, p.Y.Min, p.Y.Max, false)
}

// circleLine is a data series as most charts draw it: a 2 pt line in c
// through 3.5 pt circles.
func circleLine(xys plotter.XYs, c color.Color) (*plotter.Line, *plotter.Scatter, error) {
	line, points, err := plotter.NewLinePoints(xys)
	if err != nil {
		return nil, nil, err
	}
	line.Color, points.Color = c, c
	line.Width = vg.Points(2)
	points.Shape, points.Radius = draw.CircleGlyph{}, vg.Points(3.5)
	return line, points, nil
}
