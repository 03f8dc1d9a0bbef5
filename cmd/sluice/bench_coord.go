package main

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/sluicehq/sluice/bench/measure"
	"github.com/sluicehq/sluice/bench/report"
)

func benchCoordCommand(io *stdio) *cli.Command {
	return &cli.Command{
		Name:  "coord",
		Usage: "measure many processes sharing one budget through Redis (--coord) against the static --shard split",
		Description: "For each process count, runs the job with that many processes of this binary sharing one run and\n" +
			"one --rate budget through the Redis at --coord, then (the peer, right after) with as many processes\n" +
			"each given --shard k/N and its own --rate, against an in-process mock API with no limit of its own.\n" +
			"It reports the request rate the mock saw (its own counter, first request to last) against the budget,\n" +
			"nodes/s over the wall time, 429s and CPU time, checks every output against the mock's truth, and with\n" +
			"--report draws the rate by process count. Redis must be running (redis-server with appendonly yes).",
		OnUsageError: onUsageError,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "coord", Usage: "the Redis at `URL` (redis://HOST:PORT/DB or unix:///PATH?db=N)", EnvVars: env("coord")},
			&cli.IntFlag{Name: "nodes", Value: 400, Usage: "resources per run"},
			&cli.Float64Flag{Name: "rate", Value: 100, Usage: "the budget: requests per second, shared (and each shard's own)"},
			&cli.StringFlag{Name: "procs", Value: "1,2,4,8", Usage: "process counts to measure, comma-separated"},
			&cli.IntFlag{Name: "concurrency", Value: 8, Usage: "workers per process"},
			&cli.IntFlag{Name: "batch-size", Value: 10, Usage: "nodes per batch"},
			&cli.IntFlag{Name: "latency", Value: 5, Usage: "the mock's fixed latency in ms"},
			&cli.StringFlag{Name: "report", Usage: "write bench.json, bench.md and SVG charts to this folder"},
		},
		Action: func(c *cli.Context) error {
			cfg, err := benchCoordConfig(c)
			if err != nil {
				return usageError(err)
			}
			start := time.Now()
			res, err := measure.RunCoord(c.Context, cfg)
			if res == nil {
				return failure(err)
			}
			if werr := report.WriteCoordText(io.out, res); werr != nil {
				return failure(werr)
			}
			if dir := c.String("report"); dir != "" {
				r := report.Run{Command: commandLine(c), Date: start.UTC(), Machine: report.ThisMachine(), Seconds: time.Since(start).Seconds()}
				if werr := writeReport(dir, &report.Report{Coord: &report.CoordReport{Run: r, Result: res}}); werr != nil {
					return failure(werr)
				}
				io.logger().Info("report written", "dir", dir)
			}
			if err != nil {
				return failure(err)
			}
			for _, p := range res.Points {
				if p.Error != "" {
					return failure(fmt.Errorf("bench coord: %s, %d processes: %s", p.Mode, p.Procs, p.Error))
				}
			}
			if !res.Agreement.OK {
				return failure(errors.New("bench coord: results differ from the mock's truth"))
			}
			return nil
		},
	}
}

func benchCoordConfig(c *cli.Context) (measure.CoordConfig, error) {
	exe, err := os.Executable()
	if err != nil {
		return measure.CoordConfig{}, fmt.Errorf("bench coord: find this executable: %w", err)
	}
	cfg := measure.CoordConfig{Exe: exe, Redis: c.String("coord"), Nodes: c.Int("nodes"), Rate: c.Float64("rate"),
		Concurrency: c.Int("concurrency"), BatchSize: c.Int("batch-size"), LatencyMS: c.Int("latency")}
	if cfg.Redis == "" {
		return cfg, errors.New("bench coord: --coord URL is required (a running redis-server)")
	}
	rdb, err := openCoord(cfg.Redis) // the URL's syntax, before any process starts
	if err != nil {
		return cfg, err
	}
	rdb.Close()
	for _, f := range strings.Split(c.String("procs"), ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return cfg, fmt.Errorf("--procs %q: want positive integers, comma-separated", c.String("procs"))
		}
		cfg.Procs = append(cfg.Procs, n)
	}
	switch {
	case cfg.Nodes < 1 || cfg.Concurrency < 1 || cfg.BatchSize < 1:
		return cfg, fmt.Errorf("--nodes %d, --concurrency %d, --batch-size %d: want them positive", cfg.Nodes, cfg.Concurrency, cfg.BatchSize)
	case cfg.Rate <= 0:
		return cfg, fmt.Errorf("--rate %v: the budget must be positive", cfg.Rate)
	case cfg.LatencyMS < 0:
		return cfg, fmt.Errorf("--latency %d: want 0 or more", cfg.LatencyMS)
	}
	return cfg, nil
}
