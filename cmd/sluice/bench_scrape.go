package main

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/sluicehq/sluice/bench/measure"
	"github.com/sluicehq/sluice/bench/mockapi"
	"github.com/sluicehq/sluice/bench/nginxtest"
	"github.com/sluicehq/sluice/bench/report"
	"github.com/sluicehq/sluice/bench/units"
)

func benchScrapeCommand(io *stdio) *cli.Command {
	return &cli.Command{
		Name:  "scrape",
		Usage: "measure the whole pipeline against the mock API (or a real nginx) over loopback, for several concurrencies",
		Description: "For each concurrency, a child process starts the mock API on 127.0.0.1 and runs the real pipeline\n" +
			"(scrape client, batch runner, store into a temporary folder) over --nodes resources, then checks the\n" +
			"stored counts against the mock's ground truth (exit status 1 if they differ). It reports the request\n" +
			"rate the server admitted as a fraction of its limit, 429s, retries, nodes/s, MB/s, p50/p95 latency\n" +
			"and peak RSS.",
		OnUsageError: onUsageError,
		Flags: []cli.Flag{
			&cli.IntFlag{Name: "nodes", Value: 600, Usage: "resources per run"},
			&cli.StringFlag{Name: "sizes", Value: "lognormal:32KiB:1:4MiB", Usage: "body size distribution (as serve-mock --size-dist)"},
			&cli.StringFlag{Name: "latency", Value: "lognormal:25ms:0.5", Usage: "time to first byte (as serve-mock --latency)"},
			&cli.IntFlag{Name: "limit", Value: 100, Usage: "server: requests per --window for the client (0: no limit)"},
			&cli.DurationFlag{Name: "window", Value: time.Second, Usage: "server: rate-limit window"},
			&cli.IntFlag{Name: "max-concurrent", Usage: "server: open requests allowed at once (0: no limit)"},
			&cli.StringFlag{Name: "server", Value: measure.ServerMock, Usage: "what answers: mock (fixed windows with X-RateLimit-* headers) or nginx (a real nginx limit_req: --limit per second, burst --server-burst, no rate headers; nginx must be installed)"},
			&cli.IntFlag{Name: "server-burst", Value: 10, Usage: "server nginx: limit_req burst (nodelay)"},
			&cli.StringFlag{Name: "retry-after", Usage: "server nginx: Retry-After value sent with every 429 (empty: none)"},
			&cli.StringFlag{Name: "concurrency", Value: "1,4,16,64,256", Usage: "pool sizes to measure, comma-separated"},
			&cli.Float64Flag{Name: "rate", Usage: "client: starting requests per second (0: no limit until the first 429)"},
			&cli.IntFlag{Name: "burst", Usage: "client: token bucket size (0: 1)"},
			&cli.StringFlag{Name: "mode", Value: "stream", Usage: "extraction mode: stream, regex or full"},
			&cli.IntFlag{Name: "batch-size", Value: 128, Usage: "nodes per batch file"},
			&cli.IntFlag{Name: "max-attempts", Usage: "client: attempts per node (0: the scrape default)"},
			&cli.Uint64Flag{Name: "seed", Value: 1, Usage: "seed of the mock's bodies"},
			&cli.IntFlag{Name: "reps", Value: 1, Usage: "runs per concurrency; the median is reported"},
			&cli.StringFlag{Name: "report", Usage: "write bench.json, bench.md and SVG charts to this folder"},
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "no progress lines on stderr"},
		},
		Action: func(c *cli.Context) error {
			cfg, err := benchScrapeConfig(c)
			if err != nil {
				return usageError(err)
			}
			var progress measure.ScrapeProgress
			if !c.Bool("quiet") {
				progress = scrapeProgress(io)
			}
			return runBench(c, io,
				func(l measure.Launcher) (*measure.ScrapeResult, error) {
					return measure.RunScrape(c.Context, cfg, l, progress)
				},
				report.WriteScrapeText,
				func(run report.Run, res *measure.ScrapeResult) *report.Report {
					if res.Config.Server == measure.ServerNginx {
						return &report.Report{ScrapeNginx: &report.ScrapeReport{Run: run, Result: res}}
					}
					return &report.Report{Scrape: &report.ScrapeReport{Run: run, Result: res}}
				})
		},
	}
}

func benchScrapeConfig(c *cli.Context) (measure.ScrapeConfig, error) {
	cfg := measure.ScrapeConfig{
		Nodes: c.Int("nodes"), Seed: c.Uint64("seed"), Sizes: c.String("sizes"), Latency: c.String("latency"),
		Limit: c.Int("limit"), Window: c.Duration("window"), MaxConcurrent: c.Int("max-concurrent"),
		Rate: c.Float64("rate"), Burst: c.Int("burst"), Mode: measure.Kind(c.String("mode")),
		BatchSize: c.Int("batch-size"), MaxAttempts: c.Int("max-attempts"), Reps: c.Int("reps"),
		Server: c.String("server"), ServerBurst: c.Int("server-burst"), RetryAfter: c.String("retry-after"),
	}
	switch {
	case cfg.Nodes < 1:
		return cfg, fmt.Errorf("--nodes %d: want at least 1", cfg.Nodes)
	case cfg.Reps < 1:
		return cfg, fmt.Errorf("--reps %d: want at least 1", cfg.Reps)
	case cfg.Limit < 0 || cfg.MaxConcurrent < 0:
		return cfg, fmt.Errorf("--limit %d, --max-concurrent %d: want 0 or more", cfg.Limit, cfg.MaxConcurrent)
	case cfg.Window <= 0:
		return cfg, fmt.Errorf("--window %v: want a positive duration", cfg.Window)
	case cfg.Rate < 0 || cfg.Burst < 0 || cfg.MaxAttempts < 0:
		return cfg, fmt.Errorf("--rate, --burst, --max-attempts: want 0 or more")
	case cfg.BatchSize < 1:
		return cfg, fmt.Errorf("--batch-size %d: want at least 1", cfg.BatchSize)
	}
	switch cfg.Server {
	case measure.ServerMock:
		cfg.ServerBurst = 0
		if cfg.RetryAfter != "" {
			return cfg, errors.New("--retry-after: only with --server nginx (the mock sends its own)")
		}
	case measure.ServerNginx:
		if _, err := nginxtest.Find(); err != nil {
			return cfg, fmt.Errorf("--server nginx: %w", err)
		}
		if lps := cfg.LimitPerSecond(); lps < 1 || lps != math.Trunc(lps) {
			return cfg, fmt.Errorf("--server nginx: --limit %d per --window %v: want whole requests per second (nginx's limit_req)", cfg.Limit, cfg.Window)
		}
		if cfg.ServerBurst < 0 {
			return cfg, fmt.Errorf("--server-burst %d: want 0 or more", cfg.ServerBurst)
		}
		if _, err := strconv.Atoi(cfg.RetryAfter); cfg.RetryAfter != "" && err != nil {
			return cfg, fmt.Errorf("--retry-after %q: want whole seconds", cfg.RetryAfter)
		}
	default:
		return cfg, fmt.Errorf("--server %q: want mock or nginx", cfg.Server)
	}
	if !cfg.Mode.IsMode() {
		return cfg, fmt.Errorf("--mode %q: want stream, regex or full", cfg.Mode)
	}
	if _, err := mockapi.ParseSizeDist(cfg.Sizes); err != nil {
		return cfg, fmt.Errorf("--sizes: %w", err)
	}
	if _, err := mockapi.ParseLatency(cfg.Latency); err != nil {
		return cfg, fmt.Errorf("--latency: %w", err)
	}
	for _, f := range strings.Split(c.String("concurrency"), ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return cfg, fmt.Errorf("--concurrency %q: want positive integers, comma-separated", c.String("concurrency"))
		}
		cfg.Concurrency = append(cfg.Concurrency, n)
	}
	return cfg, nil
}

// scrapeProgress logs one record per finished child.
func scrapeProgress(io *stdio) measure.ScrapeProgress {
	log := io.logger()
	return func(done, total int, p *measure.ScrapePoint, rep *measure.ScrapeRep, err error) {
		what := []any{"done", done, "total", total, "concurrency", p.Concurrency}
		if err != nil {
			log.Error("measurement FAILED", append(what, "err", err.Error())...)
			return
		}
		log.Info("measured", append(what, "admitted_per_s", round1(rep.AdmittedPerSec), "share_of_limit", math.Round(100*rep.FractionOfLimit)/100,
			"status_429", rep.ServerStatus429, "nodes_per_s", round1(rep.NodesPerSec), "peak_rss", units.FormatSize(rep.PeakRSSBytes))...)
	}
}
