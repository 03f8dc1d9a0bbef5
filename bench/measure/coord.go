package measure

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/sluicehq/sluice/bench/mockapi"
	"github.com/sluicehq/sluice/bench/synth"
	"github.com/sluicehq/sluice/store"
)

// CoordConfig is one `sluice bench coord`: a job of Nodes nodes run by
// 1, 2, 4, 8 … processes of the sluice binary Exe, once sharing one
// budget of Rate requests a second through Redis (--coord), once split
// statically (--shard k/N, each process with its own --rate), against an
// in-process mock with no limit of its own.
type CoordConfig struct {
	Exe         string  // the sluice binary
	Redis       string  // --coord URL
	Nodes       int     // the job's nodes
	Rate        float64 // --rate: the shared budget, and each shard's
	Procs       []int   // process counts
	Concurrency int     // --concurrency of each process
	BatchSize   int     // --batch-size
	LatencyMS   int     // the mock's fixed latency
}

// CoordPoint is one run of the job.
type CoordPoint struct {
	Procs int    `json:"procs"`
	Mode  string `json:"mode"` // "shared" (--coord, one budget) or "shards" (--shard k/N)
	// NodesPerSec is the job's nodes over the wall time from the first
	// process's start to the last one's exit (start-up and finalize
	// included).
	NodesPerSec float64 `json:"nodes_per_sec"`
	// RequestsPerSec is the rate the mock saw: its own request counter
	// over the span from its first request to its last (sampled every
	// few milliseconds), the achieved rate without process start-up.
	RequestsPerSec float64 `json:"requests_per_sec"`
	OfBudget       float64 `json:"of_budget"` // RequestsPerSec / Rate
	Requests       int64   `json:"requests"`
	Status429      int64   `json:"status_429"`
	WallSeconds    float64 `json:"wall_seconds"`
	CPUSeconds     float64 `json:"cpu_seconds"` // user+system of every process
	Error          string  `json:"error,omitempty"`
}

// CoordResult is a `sluice bench coord`.
type CoordResult struct {
	Config CoordConfig  `json:"config"`
	Points []CoordPoint `json:"points"`
	// Agreement: every shared run's folder equals the mock's truth, and
	// every shard split recorded every node once.
	Agreement Agreement `json:"agreement"`
}

// coordDay is the --date of the bench's job.
var coordDay = time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)

// RunCoord runs the bench: for each process count, the shared run and
// the shard split alternate (the peer is measured in the same run, right
// after). A point that fails has its Error set; the others still run.
func RunCoord(ctx context.Context, cfg CoordConfig) (*CoordResult, error) {
	switch {
	case cfg.Exe == "" || cfg.Redis == "":
		return nil, errors.New("bench coord: the sluice binary and a Redis URL are needed")
	case cfg.Nodes < 1 || cfg.Rate <= 0 || len(cfg.Procs) == 0 || cfg.Concurrency < 1 || cfg.BatchSize < 1:
		return nil, fmt.Errorf("bench coord: %d nodes, rate %v, procs %v, concurrency %d, batch size %d: want them positive",
			cfg.Nodes, cfg.Rate, cfg.Procs, cfg.Concurrency, cfg.BatchSize)
	}
	mock, err := mockapi.Start(mockapi.Config{Seed: 9,
		Latency: mockapi.Latency{Kind: mockapi.LatencyFixed, A: time.Duration(cfg.LatencyMS) * time.Millisecond},
		Sizes:   mockapi.SizeDist{Kind: mockapi.SizeFixed, Min: 8 << 10, Max: 8 << 10}}, "")
	if err != nil {
		return nil, fmt.Errorf("bench coord: %w", err)
	}
	defer mock.Close()
	dir, err := os.MkdirTemp("", "sluice-bench-coord-")
	if err != nil {
		return nil, fmt.Errorf("bench coord: %w", err)
	}
	defer os.RemoveAll(dir)
	nodes := make([]string, cfg.Nodes)
	for i := range nodes {
		nodes[i] = fmt.Sprintf("AS%d", i+1)
	}
	list := filepath.Join(dir, "nodes.txt")
	if err := os.WriteFile(list, []byte(strings.Join(nodes, "\n")+"\n"), 0o644); err != nil {
		return nil, fmt.Errorf("bench coord: %w", err)
	}
	res := &CoordResult{Config: cfg, Agreement: Agreement{OK: true}}
	runID := fmt.Sprintf("bench-%d", time.Now().UnixNano())
	for _, n := range cfg.Procs {
		for _, mode := range []string{"shared", "shards"} {
			if err := ctx.Err(); err != nil {
				return res, err
			}
			out := filepath.Join(dir, fmt.Sprintf("%s-%d", mode, n))
			p := runCoordPoint(ctx, cfg, mock, list, out, mode, n, fmt.Sprintf("%s-%d", runID, n))
			if p.Error == "" {
				if problem := checkCoordOut(mock, nodes, out, mode, n); problem != "" {
					res.Agreement.OK = false
					res.Agreement.Problems = append(res.Agreement.Problems, fmt.Sprintf("%s, %d processes: %s", mode, n, problem))
				}
			}
			res.Points = append(res.Points, p)
		}
	}
	return res, nil
}

func runCoordPoint(ctx context.Context, cfg CoordConfig, mock *mockapi.Instance, list, out, mode string, n int, run string) CoordPoint {
	p := CoordPoint{Procs: n, Mode: mode}
	before := mock.Server.Stats().Total
	cmds := make([]*exec.Cmd, n)
	for i := range cmds {
		args := []string{"ripestat", "--nodes", list, "--date", coordDay.Format(time.DateOnly), "--base-url", mock.URL,
			"--rate", fmt.Sprint(cfg.Rate), "--concurrency", fmt.Sprint(cfg.Concurrency), "--batch-size", fmt.Sprint(cfg.BatchSize),
			"--progress", "none", "--quiet"}
		if mode == "shared" {
			args = append(args, "--out", out, "--coord", cfg.Redis, "--run", run, "--budget", run)
		} else {
			args = append(args, "--out", fmt.Sprintf("%s-%d", out, i+1), "--shard", fmt.Sprintf("%d/%d", i+1, n))
		}
		cmds[i] = exec.CommandContext(ctx, cfg.Exe, args...)
	}
	// Sample the mock's counter: the span from its first request to its
	// last is the achieved rate without process start-up.
	var first, last time.Time
	var lastCount int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			c := mock.Server.Stats().Total.Requests - before.Requests
			now := time.Now()
			if c > 0 && first.IsZero() {
				first = now
			}
			if c != lastCount {
				last, lastCount = now, c
			}
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	})
	start := time.Now()
	var errs []string
	stderrs := make([]strings.Builder, n)
	for i, c := range cmds {
		c.Stderr = &stderrs[i]
		if err := c.Start(); err != nil {
			errs = append(errs, err.Error())
		}
	}
	for i, c := range cmds {
		if c.Process == nil {
			continue
		}
		if err := c.Wait(); err != nil {
			errs = append(errs, fmt.Sprintf("process %d: %v: %s", i+1, err, lastLine([]byte(stderrs[i].String()))))
		}
		p.CPUSeconds += (c.ProcessState.UserTime() + c.ProcessState.SystemTime()).Seconds()
	}
	p.WallSeconds = time.Since(start).Seconds()
	close(stop)
	wg.Wait()
	after := mock.Server.Stats().Total
	p.Requests, p.Status429 = after.Requests-before.Requests, after.Status429-before.Status429
	p.NodesPerSec = float64(cfg.Nodes) / p.WallSeconds
	if span := last.Sub(first).Seconds(); span > 0 && lastCount > 1 {
		p.RequestsPerSec = float64(lastCount-1) / span
		p.OfBudget = p.RequestsPerSec / cfg.Rate
	}
	if len(errs) > 0 {
		p.Error = strings.Join(errs, "; ")
	}
	return p
}

// checkCoordOut checks a run's output: the shared folder against the
// mock's truth; the shard folders for every node once.
func checkCoordOut(mock *mockapi.Instance, nodes []string, out, mode string, n int) string {
	truth := func(node string) (synth.Truth, error) {
		return mock.Server.Truth(node, coordDay, coordDay.Add(24*time.Hour-time.Second)) // ripestat --date's window
	}
	if mode == "shared" {
		v, err := mockapi.CheckRun(out, nodes, truth)
		switch {
		case err != nil:
			return err.Error()
		case len(v.Mismatches) > 0:
			return v.Mismatches[0]
		case v.OK != len(nodes):
			return fmt.Sprintf("%d of %d nodes recorded", v.OK, len(nodes))
		}
		return ""
	}
	seen := map[string]bool{}
	for i := 1; i <= n; i++ {
		err := store.ReadRecords(fmt.Sprintf("%s-%d", out, i), func(r store.Record) error {
			if seen[r.Node] {
				return fmt.Errorf("node %s in two shards", r.Node)
			}
			seen[r.Node] = true
			return nil
		})
		if err != nil {
			return err.Error()
		}
	}
	if len(seen) != len(nodes) {
		return fmt.Sprintf("%d of %d nodes recorded", len(seen), len(nodes))
	}
	return ""
}
