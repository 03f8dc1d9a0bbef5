package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/bench/nginxtest"
	"github.com/sluicehq/sluice/bench/report"
)

// Not parallel: it measures its children's speed and memory.
func TestBenchScrapeReport(t *testing.T) {
	dir := t.TempDir()
	code, stdout, stderr := runSluiceBin(t, "bench", "scrape", "--nodes", "24", "--sizes", "uniform:2KiB:32KiB",
		"--latency", "fixed:1ms", "--limit", "30", "--window", "250ms", "--concurrency", "1,8",
		"--batch-size", "10", "--seed", "4", "--report", dir, "--log-format", "json")
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "every run stored exactly the mock's counts") || countRecords(t, stderr, "measured") != 2 {
		t.Errorf("stdout:\n%s\nstderr:\n%s", stdout, stderr)
	}
	rep := loadReport(t, dir)
	s := rep.Scrape
	if s == nil || s.Result == nil || rep.Extract != nil {
		t.Fatalf("sections: extract %v, scrape %v", rep.Extract != nil, s != nil)
	}
	res := s.Result
	if !res.Agreement.OK || len(res.Points) != 2 || res.Config.LimitPerSecond() != 120 {
		t.Fatalf("agreement %+v, %d points, limit %v/s", res.Agreement, len(res.Points), res.Config.LimitPerSecond())
	}
	for i, p := range res.Points {
		if p.Concurrency != []int{1, 8}[i] || len(p.Reps) != 1 || p.Error != "" {
			t.Fatalf("point %d: %+v", i, p)
		}
		r := p.Reps[0]
		secs := float64(r.ElapsedNanos) / 1e9
		// The figures are those of the counts: recompute them.
		if r.OK+r.Dead != 24 || r.MismatchCount != 0 || r.ServerRequests < 24 ||
			p.AdmittedPerSec != float64(r.ServerRequests-r.ServerStatus429)/secs ||
			p.FractionOfLimit != float64(r.ServerRequests-r.ServerStatus429)/float64(r.Admissible) || p.FractionOfLimit > 1 ||
			r.Admissible < 30*((r.ElapsedNanos+250e6-1)/250e6) || p.NodesPerSec != float64(r.OK+r.Dead)/secs ||
			r.ServerMaxInWindow > 30 || p.PeakRSSBytes <= 0 || p.P95Millis < p.P50Millis {
			t.Errorf("concurrency %d: %+v", p.Concurrency, p)
		}
	}
	checkSVG(t, filepath.Join(dir, report.ConcurrencySVG))

	// bench report redraws the folder from bench.json alone.
	os.Remove(filepath.Join(dir, report.ConcurrencySVG))
	os.Remove(filepath.Join(dir, report.MarkdownFile))
	if code, _, stderr := runSluice(t, "bench", "report", dir); code != 0 {
		t.Fatalf("bench report: exit %d: %s", code, stderr)
	}
	checkSVG(t, filepath.Join(dir, report.ConcurrencySVG))
	md, err := os.ReadFile(filepath.Join(dir, report.MarkdownFile))
	if err != nil || !strings.Contains(string(md), "](scrape-concurrency.svg)") || !strings.Contains(string(md), "## Scrape pipeline") {
		t.Errorf("bench.md after redraw: %v\n%s", err, md)
	}
}

func TestBenchScrapeUsageErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"nodes", []string{"--nodes", "0"}, "--nodes"},
		{"concurrency", []string{"--concurrency", "1,x"}, "--concurrency"},
		{"zero concurrency", []string{"--concurrency", "0"}, "--concurrency"},
		{"sizes", []string{"--sizes", "huge"}, "--sizes"},
		{"latency", []string{"--latency", "slow"}, "--latency"},
		{"mode", []string{"--mode", "fast"}, "--mode"},
		{"window", []string{"--window", "0s"}, "--window"},
		{"limit", []string{"--limit", "-1"}, "--limit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runSluice(t, append([]string{"bench", "scrape"}, tc.args...)...)
			if code != exitUsage || stdout != "" || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit 2 and %q", code, stdout, stderr, tc.want)
			}
		})
	}
	if code, _, stderr := runSluice(t, "bench", "report", t.TempDir()); code != exitUsage {
		t.Errorf("bench report on an empty folder: exit %d, %s", code, stderr)
	}
}

// TestBenchScrapeNginx: --server nginx runs the same pipeline against a
// real nginx limit_req serving the mock's bodies; the run stores the
// mock's truth, its section sits beside the mock's in one report, and
// both have a timeline whose bins count every request sent.
func TestBenchScrapeNginx(t *testing.T) {
	nginxtest.Bin(t) // skips without nginx (fails under CI=true)
	dir := t.TempDir()
	common := []string{"--nodes", "40", "--sizes", "uniform:2KiB:8KiB", "--concurrency", "4",
		"--batch-size", "10", "--seed", "5", "--report", dir, "--log-format", "json"}
	code, stdout, stderr := runSluiceBin(t, append([]string{"bench", "scrape", "--server", "nginx", "--limit", "1000"}, common...)...)
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "against a real nginx") || !strings.Contains(stdout, "every run stored exactly the mock's counts") {
		t.Errorf("stdout:\n%s", stdout)
	}
	if code, _, stderr := runSluiceBin(t, append([]string{"bench", "scrape", "--latency", "fixed:1ms", "--limit", "1000"}, common...)...); code != 0 {
		t.Fatalf("mock run: exit %d: %s", code, stderr)
	}
	rep := loadReport(t, dir)
	if rep.Scrape == nil || rep.ScrapeNginx == nil {
		t.Fatalf("sections: mock %v, nginx %v", rep.Scrape != nil, rep.ScrapeNginx != nil)
	}
	for _, sec := range []*report.ScrapeReport{rep.Scrape, rep.ScrapeNginx} {
		res := sec.Result
		if !res.Agreement.OK || len(res.Points) != 1 || len(res.Points[0].Reps) != 1 {
			t.Fatalf("%s: agreement %+v, points %+v", res.Config.Server, res.Agreement, res.Points)
		}
		r := res.Points[0].Reps[0]
		var sent int64
		for _, n := range r.Sent {
			sent += int64(n)
		}
		if r.OK != 40 || r.Dead != 0 || sent != r.Requests || len(r.Sent) != len(r.Refused) {
			t.Errorf("%s: ok %d dead %d, timeline %d requests of %d", res.Config.Server, r.OK, r.Dead, sent, r.Requests)
		}
	}
	for _, name := range []string{report.TimelineSVG, report.NginxPrefix + report.TimelineSVG, report.NginxPrefix + report.ConcurrencySVG} {
		checkSVG(t, filepath.Join(dir, name))
	}
	md, err := os.ReadFile(filepath.Join(dir, report.MarkdownFile))
	if err != nil || !strings.Contains(string(md), "## Scrape pipeline against nginx") || !strings.Contains(string(md), "](nginx-scrape-timeline.svg)") {
		t.Errorf("bench.md: %v\n%s", err, md)
	}
}

func TestBenchScrapeServerFlags(t *testing.T) {
	for _, args := range [][]string{
		{"--server", "apache"},
		{"--retry-after", "1"},                                  // the mock sends its own
		{"--server", "nginx", "--limit", "5", "--window", "2s"}, // not whole requests per second
	} {
		code, _, stderr := runSluice(t, append([]string{"bench", "scrape", "--nodes", "2"}, args...)...)
		if code != exitUsage || !strings.Contains(stderr, args[0]) {
			t.Errorf("%v: exit %d, want %d naming %s: %s", args, code, exitUsage, args[0], stderr)
		}
	}
}
