package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/bench/redistest"
)

// TestBenchCoord: `sluice bench coord` of the real binary on 1 and 2
// processes writes the table, a report with the chart linked from
// bench.md, and every output agrees with the mock's truth (exit 0). What
// it asserts of the figures is only what load cannot change: the shared
// runs never send faster than the budget (load only slows them), with
// room for the 2 ms sampling of the mock's counter.
func TestBenchCoord(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	dir := filepath.Join(t.TempDir(), "report")
	cmd := exec.Command(binary(t), "bench", "coord", "--coord", srv.URL(), "--nodes", "40", "--rate", "80",
		"--procs", "1,2", "--concurrency", "4", "--report", dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("bench coord: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "one budget (--coord)") || !strings.Contains(string(out), "--shard k/2, own --rate") {
		t.Fatalf("no table:\n%s", out)
	}
	var rep struct {
		Coord struct {
			Result struct {
				Points []struct {
					Procs          int
					Mode           string
					RequestsPerSec float64 `json:"requests_per_sec"`
					Requests       int64
				}
			}
		}
	}
	data, err := os.ReadFile(filepath.Join(dir, "bench.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatal(err)
	}
	pts := rep.Coord.Result.Points
	if len(pts) != 4 {
		t.Fatalf("%d points; want 2 process counts × 2 splits", len(pts))
	}
	for _, p := range pts {
		if p.Requests < 40 || p.RequestsPerSec <= 0 {
			t.Fatalf("point %+v: want at least the 40 nodes' requests and a rate", p)
		}
		if p.Mode == "shared" && p.RequestsPerSec > 80*1.25 {
			t.Fatalf("shared, %d processes: %.1f requests/s at the mock, over the budget of 80", p.Procs, p.RequestsPerSec)
		}
	}
	md, err := os.ReadFile(filepath.Join(dir, "bench.md"))
	if err != nil || !strings.Contains(string(md), "(coord-processes.svg)") {
		t.Fatalf("bench.md does not link the chart (%v)", err)
	}
	if fi, err := os.Stat(filepath.Join(dir, "coord-processes.svg")); err != nil || fi.Size() == 0 {
		t.Fatalf("chart: %v", err)
	}
}
