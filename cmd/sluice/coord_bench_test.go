package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/bench/mockapi"
	"github.com/sluicehq/sluice/bench/redistest"
)

// BenchmarkCoordProcesses runs one job on 1, 2, 4 and 8 processes of the
// real binary sharing one budget of 100 requests a second, against a mock
// with no limit of its own: the aggregate must stay at the budget, not
// multiply with the processes. It reports nodes/s over the whole run,
// process start and the final merge included, and the mock's 429s.
func BenchmarkCoordProcesses(b *testing.B) {
	bin, err := buildBinary()
	if err != nil {
		b.Fatal(err)
	}
	srv := redistest.Start(b, "--appendfsync", "everysec")
	mock, err := mockapi.Start(mockapi.Config{Seed: 9, Latency: mockapi.Latency{Kind: mockapi.LatencyFixed, A: 5 * time.Millisecond},
		Sizes: mockapi.SizeDist{Kind: mockapi.SizeFixed, Min: 8 << 10, Max: 8 << 10}}, "")
	if err != nil {
		b.Fatal(err)
	}
	defer mock.Close()
	const nodes = 300
	dir := b.TempDir()
	list := filepath.Join(dir, "nodes.txt")
	if err := os.WriteFile(list, []byte(strings.Join(demoNodes(nodes), "\n")+"\n"), 0o644); err != nil {
		b.Fatal(err)
	}
	run := 0
	for _, procs := range []int{1, 2, 4, 8} {
		b.Run(fmt.Sprintf("procs=%d", procs), func(b *testing.B) {
			var elapsed time.Duration
			for b.Loop() {
				run++
				out := filepath.Join(dir, fmt.Sprint("out", run))
				cmds := make([]*exec.Cmd, procs)
				start := time.Now()
				for i := range cmds {
					cmds[i] = exec.Command(bin, "ripestat", "--nodes", list, "--out", out, "--date", e2eDay,
						"--base-url", mock.URL, "--rate", "100", "--concurrency", "8", "--batch-size", "10",
						"--progress", "none", "--coord", srv.URL(), "--run", fmt.Sprint("bench", run))
					if err := cmds[i].Start(); err != nil {
						b.Fatal(err)
					}
				}
				for _, c := range cmds {
					if err := c.Wait(); err != nil {
						b.Fatalf("worker: %v", err)
					}
				}
				elapsed += time.Since(start)
			}
			b.ReportMetric(float64(nodes*b.N)/elapsed.Seconds(), "nodes/s")
			b.ReportMetric(float64(mock.Server.Stats().Total.Status429), "429s")
		})
	}
	// The peer: today's static split, 4 processes with --shard k/4 and
	// each its own --rate 100: the API sees 4 × the budget.
	b.Run("procs=4-shards", func(b *testing.B) {
		var elapsed time.Duration
		for b.Loop() {
			run++
			cmds := make([]*exec.Cmd, 4)
			start := time.Now()
			for i := range cmds {
				cmds[i] = exec.Command(bin, "ripestat", "--nodes", list, "--out", filepath.Join(dir, fmt.Sprint("shard", run, "-", i)),
					"--date", e2eDay, "--base-url", mock.URL, "--rate", "100", "--concurrency", "8", "--batch-size", "10",
					"--progress", "none", "--shard", fmt.Sprintf("%d/4", i+1))
				if err := cmds[i].Start(); err != nil {
					b.Fatal(err)
				}
			}
			for _, c := range cmds {
				if err := c.Wait(); err != nil {
					b.Fatalf("shard: %v", err)
				}
			}
			elapsed += time.Since(start)
		}
		b.ReportMetric(float64(nodes*b.N)/elapsed.Seconds(), "nodes/s")
	})
}
