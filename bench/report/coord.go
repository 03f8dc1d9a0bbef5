package report

import (
	"fmt"
	"image/color"
	"io"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"

	"github.com/sluicehq/sluice/bench/measure"
)

// CoordReport is the report of `sluice bench coord`.
type CoordReport struct {
	Run    Run                  `json:"run"`
	Result *measure.CoordResult `json:"result"`
}

// CoordSVG is the chart of `sluice bench coord`.
const CoordSVG = "coord-processes.svg"

func coordTable(res *measure.CoordResult) *table {
	t := &table{
		head:  []string{"processes", "split", "req/s at the mock", "of budget", "nodes/s (wall)", "requests", "429s", "wall s", "CPU s"},
		right: []bool{true, false, true, true, true, true, true, true, true},
	}
	for _, p := range res.Points {
		split := "one budget (--coord)"
		if p.Mode == "shards" {
			split = fmt.Sprintf("--shard k/%d, own --rate", p.Procs)
		}
		if p.Error != "" {
			t.add(strconv.Itoa(p.Procs), split, "FAILED", "", "", "", "", "", "")
			continue
		}
		t.add(strconv.Itoa(p.Procs), split, fmtMBps(p.RequestsPerSec), strconv.FormatFloat(100*p.OfBudget, 'f', 0, 64)+"%",
			fmtMBps(p.NodesPerSec), strconv.FormatInt(p.Requests, 10), strconv.FormatInt(p.Status429, 10),
			strconv.FormatFloat(p.WallSeconds, 'f', 2, 64), strconv.FormatFloat(p.CPUSeconds, 'f', 2, 64))
	}
	return t
}

func coordHeadline(res *measure.CoordResult) string {
	c := res.Config
	return fmt.Sprintf("coord: %d nodes, one budget of %s requests/s shared by every process through Redis, against %d processes each with --shard k/N and its own --rate; %d workers a process, batches of %d, mock latency %d ms",
		c.Nodes, fmtMBps(c.Rate), c.Procs, c.Concurrency, c.BatchSize, c.LatencyMS)
}

// WriteCoordText writes the bench's figures for a terminal.
func WriteCoordText(w io.Writer, res *measure.CoordResult) error {
	fmt.Fprintln(w, coordHeadline(res))
	if err := coordTable(res).text(w); err != nil {
		return err
	}
	if res.Agreement.OK {
		fmt.Fprintln(w, "truth: every shared run's folder holds the mock's counts for every node, once; every shard split holds every node once")
		return nil
	}
	fmt.Fprintln(w, "RESULTS DIFFER:\n  "+strings.Join(res.Agreement.Problems, "\n  "))
	return nil
}

func (s *CoordReport) markdown(b *strings.Builder, charts map[string][]byte) {
	res := s.Result
	b.WriteString("\n## Many processes, one budget\n\n")
	runMarkdown(b, s.Run)
	b.WriteString(coordHeadline(res) + "\n\n")
	coordTable(res).markdown(b)
	b.WriteString("\n")
	agreementMarkdown(b, res.Agreement, "Truth: every shared run's folder holds the mock's counts for every node, once; every shard split holds every node once.", "RESULTS DIFFER:")
	chartLink(b, charts, CoordSVG, "Request rate at the API by number of processes: one shared budget against the static shard split")
	b.WriteString(coordMethod)
}

const coordMethod = `### How these figures are made

- Every process is the real sluice binary (` + "`sluice ripestat`" + `) against an
  in-process mock with no limit of its own, so nothing but the client holds
  the rate. "one budget" runs N processes with ` + "`--coord`" + ` on one run and one
  budget of ` + "`--rate`" + `; the peer, run right after it, is today's static split:
  N processes with ` + "`--shard k/N`" + `, each with its own ` + "`--rate`" + `.
- "req/s at the mock" is the mock's own request counter over the span from its
  first request to its last (sampled every 2 ms): the rate the API saw, without
  process start-up. "nodes/s (wall)" is the job's nodes over the wall time from
  the first start to the last exit, start-up and the final manifest included.
- The one-budget rows must stay at the budget as processes are added; the
  shard rows multiply it.
`

// coordChart draws the rate the API saw against the number of
// processes: the one shared budget, the shard split, and the budget as a
// dashed line.
func coordChart(res *measure.CoordResult) (*plot.Plot, error) {
	series := map[string]plotter.XYs{}
	var procs []int64
	top := res.Config.Rate
	for _, p := range res.Points {
		if p.Error != "" || p.RequestsPerSec <= 0 {
			continue
		}
		series[p.Mode] = append(series[p.Mode], plotter.XY{X: float64(p.Procs), Y: p.RequestsPerSec})
		if !slices.Contains(procs, int64(p.Procs)) {
			procs = append(procs, int64(p.Procs))
		}
		top = max(top, p.RequestsPerSec)
	}
	if len(procs) == 0 {
		return nil, nil
	}
	p := newPlot("Many processes: request rate at the API", "processes (log scale)", "requests per second at the mock")
	var names endLabels
	for _, s := range []struct {
		mode, label string
		c           color.Color
	}{
		{"shards", "--shard k/N, each its own --rate: N × the budget", kindColors[measure.KindRegex]},
		{"shared", "--coord: one budget for every process", kindColors[measure.KindStream]},
	} {
		xys := series[s.mode]
		if len(xys) == 0 {
			continue
		}
		line, points, err := circleLine(xys, s.c)
		if err != nil {
			return nil, err
		}
		p.Add(line, points)
		p.Legend.Add(s.label, line, points)
		names.add(xys, strings.SplitN(s.label, ":", 2)[0], s.c)
	}
	lo, hi := float64(slices.Min(procs)), float64(slices.Max(procs))
	if _, err := addLimitLine(p, lo/1.6, hi*1.6, res.Config.Rate, fmt.Sprintf("the budget (%s requests/s)", fmtMBps(res.Config.Rate))); err != nil {
		return nil, err
	}
	if err := countAxis(p, procs, top, &names); err != nil {
		return nil, err
	}
	return p, nil
}
