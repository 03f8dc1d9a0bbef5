package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/bench/measure"
)

// sampleCoord is a made-up bench coord result: the shared runs hold the
// budget, the shard splits multiply it.
func sampleCoord() *measure.CoordResult {
	res := &measure.CoordResult{Config: measure.CoordConfig{Nodes: 400, Rate: 100, Procs: []int{1, 2, 4, 8}, Concurrency: 8, BatchSize: 10, LatencyMS: 5},
		Agreement: measure.Agreement{OK: true}}
	for _, n := range res.Config.Procs {
		res.Points = append(res.Points,
			measure.CoordPoint{Procs: n, Mode: "shared", RequestsPerSec: 99, OfBudget: 0.99, NodesPerSec: 90, Requests: 400, WallSeconds: 4.4, CPUSeconds: 0.6},
			measure.CoordPoint{Procs: n, Mode: "shards", RequestsPerSec: 99 * float64(n), OfBudget: 0.99 * float64(n), NodesPerSec: 90 * float64(n), Requests: 400, WallSeconds: 4.4 / float64(n), CPUSeconds: 0.5})
	}
	return res
}

// TestCoordSection: the coord section draws its chart (both splits and
// the budget line, labelled), links it from bench.md with its table, and
// survives a round trip through bench.json.
func TestCoordSection(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	r := &Report{Coord: &CoordReport{Run: Run{Command: []string{"sluice", "bench", "coord"}}, Result: sampleCoord()}}
	if err := r.Write(dir); err != nil {
		t.Fatal(err)
	}
	back, err := Load(dir)
	if err != nil || back.Coord == nil || len(back.Coord.Result.Points) != 8 {
		t.Fatalf("Load: %v, %+v", err, back)
	}
	charts, err := back.Charts()
	if err != nil {
		t.Fatal(err)
	}
	svg := charts[CoordSVG]
	for _, want := range []string{"one budget for every process", "N × the budget", "the budget (100 requests/s)", "processes (log scale)"} {
		if !bytes.Contains(svg, []byte(want)) {
			t.Errorf("chart lacks %q", want)
		}
	}
	md := back.Markdown(charts)
	for _, want := range []string{"## Many processes, one budget", "](" + CoordSVG + ")", "one budget (--coord)", "--shard k/8, own --rate", "792"} {
		if !strings.Contains(md, want) {
			t.Errorf("bench.md lacks %q", want)
		}
	}
	var text bytes.Buffer
	if err := WriteCoordText(&text, back.Coord.Result); err != nil || !strings.Contains(text.String(), "truth: every shared run") {
		t.Fatalf("text: %v\n%s", err, text.String())
	}
}
