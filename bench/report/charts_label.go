package report

import (
	"bytes"
	"cmp"
	"image/color"
	"math"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Every line of a chart is named at its right end, in its color, so the
// reader need not match colors against the legend. The X axis leaves room
// for those names (endRoom on a log axis).

// endRoom is how far past the last point a log X axis runs, as a factor,
// so that the end labels fit inside the plot.
const endRoom = 4.0

// endLabels collects the names written at the right end of lines; place
// moves them apart vertically where lines end close together (stream,
// regex and the read floor all end near 21 MiB), then adds them.
type endLabels struct {
	items []endLabel
}

type endLabel struct {
	at   plotter.XY
	text string
	c    color.Color
}

func (e *endLabels) add(xys plotter.XYs, text string, c color.Color) {
	if len(xys) > 0 {
		e.items = append(e.items, endLabel{xys[len(xys)-1], text, c})
	}
}

// place adds the labels to p, whose Y axis runs from lo to hi (log scale
// when logY), keeping them at least gap of the axis's height apart.
func (e *endLabels) place(p *plot.Plot, lo, hi float64, logY bool) error {
	const gap = 0.05
	pos := func(y float64) float64 { // 0..1 up the axis
		if logY {
			return math.Log(y/lo) / math.Log(hi/lo)
		}
		return (y - lo) / (hi - lo)
	}
	unpos := func(f float64) float64 {
		if logY {
			return lo * math.Exp(f*math.Log(hi/lo))
		}
		return lo + f*(hi-lo)
	}
	items := slices.Clone(e.items)
	slices.SortFunc(items, func(a, b endLabel) int { return cmp.Compare(a.at.Y, b.at.Y) })
	ys := make([]float64, len(items))
	for i, it := range items {
		ys[i] = pos(it.at.Y)
		if i > 0 && ys[i] < ys[i-1]+gap {
			ys[i] = ys[i-1] + gap
		}
	}
	for i, it := range items {
		if err := labelAt(p, plotter.XY{X: it.at.X, Y: unpos(ys[i])}, it.text, it.c); err != nil {
			return err
		}
	}
	return nil
}

// labelEnd writes text just right of the last point of xys.
func labelEnd(p *plot.Plot, xys plotter.XYs, text string, c color.Color) error {
	if len(xys) == 0 {
		return nil
	}
	return labelAt(p, xys[len(xys)-1], text, c)
}

func labelAt(p *plot.Plot, at plotter.XY, text string, c color.Color) error {
	l, err := plotter.NewLabels(plotter.XYLabels{XYs: []plotter.XY{at}, Labels: []string{text}})
	if err != nil {
		return err
	}
	for i := range l.TextStyle {
		l.TextStyle[i].Font = font.Font{Typeface: "Liberation", Variant: "Sans", Size: 9}
		l.TextStyle[i].Color = c
		l.TextStyle[i].XAlign = draw.XLeft
		l.TextStyle[i].YAlign = draw.YCenter
	}
	l.Offset = vg.Point{X: vg.Points(7)}
	p.Add(l)
	return nil
}

// renderStack draws plots one above the other, sharing the chart's width
// (the concurrency chart: rates above, latency below).
func renderStack(plots ...*plot.Plot) ([]byte, error) {
	c := vgsvg.New(chartWidth, chartHeight*vg.Length(len(plots))*0.75)
	m := vg.Points(10)
	dc := draw.Crop(draw.New(c), m, -m, m, -m)
	rows := make([][]*plot.Plot, len(plots))
	for i, p := range plots {
		rows[i] = []*plot.Plot{p}
	}
	tiles := draw.Tiles{Rows: len(plots), Cols: 1, PadY: vg.Points(16)}
	canvases := plot.Align(rows, tiles, dc)
	for i, p := range plots {
		p.Draw(canvases[i][0])
	}
	var b bytes.Buffer
	if _, err := c.WriteTo(&b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
