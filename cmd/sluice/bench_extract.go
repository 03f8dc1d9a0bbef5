package main

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/sluicehq/sluice/bench/measure"
	"github.com/sluicehq/sluice/bench/report"
	"github.com/sluicehq/sluice/bench/units"
)

func benchExtractCommand(io *stdio) *cli.Command {
	return &cli.Command{
		Name:  "extract",
		Usage: "measure the extraction modes against encoding/json on generated bodies",
		Description: "For each body size and mode, child processes extract data.updates[*].timestamp from a generated\n" +
			"RIPEstat-shaped body (never stored) and report median MB/s, peak RSS and heap, allocations per value\n" +
			"and the values found, which must agree across modes and with the generator (exit status 1 if not).\n" +
			"Peers under the same harness: encoding/json Decoder.Token walking the path, and json.Unmarshal.",
		OnUsageError: onUsageError,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "sizes", Value: "1MiB,64MiB,1GiB", Usage: "body sizes, comma-separated (KiB, MiB, GiB; KB, MB, GB)"},
			&cli.StringFlag{Name: "modes", Value: "stream,regex,full", Usage: "extraction modes to measure"},
			&cli.StringFlag{Name: "peers", Value: "json-token,json-unmarshal", Usage: `encoding/json peers to measure ("none" for none)`},
			&cli.IntFlag{Name: "reps", Value: 3, Usage: "child processes per measurement; the median is reported"},
			&cli.StringFlag{Name: "buffer-size", Value: "64KiB", Usage: "stream buffer and regex chunk size"},
			&cli.StringFlag{Name: "sweep", Value: "4KiB,16KiB,64KiB,256KiB,1MiB", Usage: `stream buffer sizes to sweep ("none" for no sweep)`},
			&cli.StringFlag{Name: "sweep-size", Usage: "body size of the buffer sweep (default: the largest of --sizes up to 64MiB)"},
			&cli.BoolFlag{Name: "gzip", Usage: "feed gzip-compressed bodies (decompression is measured, compression is not)"},
			&cli.Uint64Flag{Name: "seed", Value: 1, Usage: "generator seed"},
			&cli.StringFlag{Name: "memory-cap", Value: "2GiB", Usage: fmt.Sprintf("skip full and json-unmarshal where their memory (about %d× and %d× the body) would exceed this",
				measure.KindFull.MemoryFactor(), measure.PeerUnmarshal.MemoryFactor())},
			&cli.StringFlag{Name: "min-bytes", Value: "32MiB", Usage: "a child repeats a small body until it has read this much"},
			&cli.BoolFlag{Name: "warmup", Value: true, Usage: "each child runs one untimed pass first (--warmup=false: time the first touch of memory too)"},
			&cli.StringFlag{Name: "report", Usage: "write bench.json, bench.md and SVG charts to this folder"},
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "no progress lines on stderr"},
		},
		Action: func(c *cli.Context) error {
			cfg, err := benchExtractConfig(c)
			if err != nil {
				return usageError(err)
			}
			var progress measure.Progress
			if !c.Bool("quiet") {
				progress = extractProgress(io)
			}
			return runBench(c, io,
				func(l measure.Launcher) (*measure.ExtractResult, error) {
					return measure.RunExtract(c.Context, cfg, l, progress)
				},
				report.WriteExtractText,
				func(run report.Run, res *measure.ExtractResult) *report.Report {
					return &report.Report{Extract: &report.ExtractReport{Run: run, Result: res}}
				})
		},
	}
}

func benchExtractConfig(c *cli.Context) (measure.ExtractConfig, error) {
	cfg := measure.ExtractConfig{Reps: c.Int("reps"), Gzip: c.Bool("gzip"), Seed: c.Uint64("seed"), Warmup: c.Bool("warmup")}
	var err error
	if cfg.Sizes, err = report.ParseSizes(c.String("sizes")); err != nil {
		return cfg, fmt.Errorf("--sizes: %w", err)
	}
	for _, s := range cfg.Sizes {
		if s <= 0 {
			return cfg, fmt.Errorf("--sizes: %d is not a positive size", s)
		}
	}
	if cfg.Reps < 1 {
		return cfg, fmt.Errorf("--reps %d: want at least 1", cfg.Reps)
	}
	for _, flag := range []string{"modes", "peers"} {
		kinds, err := parseKinds(c.String(flag), flag == "peers")
		if err != nil {
			return cfg, fmt.Errorf("--%s: %w", flag, err)
		}
		cfg.Kinds = append(cfg.Kinds, kinds...)
	}
	if len(cfg.Kinds) == 0 {
		return cfg, errors.New("--modes and --peers: nothing to measure")
	}
	cfg.Kinds = append(cfg.Kinds, measure.KindRead) // the floor every row includes
	buf, err := parseIntSize(c.String("buffer-size"), "--buffer-size")
	if err != nil {
		return cfg, err
	}
	cfg.BufferSize = buf
	if s := c.String("sweep"); s != "none" && s != "" {
		sizes, err := report.ParseSizes(s)
		if err != nil {
			return cfg, fmt.Errorf("--sweep: %w", err)
		}
		for _, v := range sizes {
			b, err := parseIntSize(fmt.Sprint(v), "--sweep")
			if err != nil {
				return cfg, err
			}
			cfg.SweepBuffers = append(cfg.SweepBuffers, b)
		}
		cfg.SweepSize = defaultSweepSize(cfg.Sizes)
		if s := c.String("sweep-size"); s != "" {
			if cfg.SweepSize, err = units.ParseSize(s); err != nil || cfg.SweepSize <= 0 {
				return cfg, fmt.Errorf("--sweep-size %q: want a positive size", s)
			}
		}
	}
	if cfg.MemoryCap, err = units.ParseSize(c.String("memory-cap")); err != nil {
		return cfg, fmt.Errorf("--memory-cap: %w", err)
	}
	if cfg.MinBytes, err = units.ParseSize(c.String("min-bytes")); err != nil {
		return cfg, fmt.Errorf("--min-bytes: %w", err)
	}
	return cfg, nil
}

// parseKinds parses "stream,regex" (modes) or "json-token" (peers).
func parseKinds(s string, peers bool) ([]measure.Kind, error) {
	if s == "" || s == "none" {
		return nil, nil
	}
	var kinds []measure.Kind
	for _, name := range strings.Split(s, ",") {
		k, err := measure.ParseKind(strings.TrimSpace(name))
		if err != nil {
			return nil, err
		}
		isPeer := k == measure.PeerToken || k == measure.PeerUnmarshal
		if k == measure.KindRead || isPeer != peers {
			return nil, fmt.Errorf("%q is not one of the %s", name, map[bool]string{false: "modes (stream, regex, full)", true: "peers (json-token, json-unmarshal)"}[peers])
		}
		if !slices.Contains(kinds, k) {
			kinds = append(kinds, k)
		}
	}
	return kinds, nil
}

// parseIntSize parses a buffer size: positive and small enough for an int.
func parseIntSize(s, flag string) (int, error) {
	v, err := units.ParseSize(s)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", flag, err)
	}
	if v <= 0 || v > 1<<30 {
		return 0, fmt.Errorf("%s %q: want a size from 1 byte to 1 GiB", flag, s)
	}
	return int(v), nil
}

// defaultSweepSize is the largest size up to 64 MiB (big enough to time,
// small enough to sweep quickly), or the smallest size if all are larger.
func defaultSweepSize(sizes []int64) int64 {
	best := int64(0)
	for _, s := range sizes {
		if s <= 64<<20 && s > best {
			best = s
		}
	}
	if best == 0 {
		best = slices.Min(sizes)
	}
	return best
}

// extractProgress logs one record per finished child.
func extractProgress(io *stdio) measure.Progress {
	log := io.logger()
	return func(done, total int, row *measure.Row, rep *measure.Rep, err error) {
		what := []any{"done", done, "total", total, "kind", string(row.Kind), "size", units.FormatSize(row.Size)}
		if row.Sweep {
			what = append(what, "buffer", units.FormatSize(int64(row.BufferSize)))
		}
		if err != nil {
			log.Error("measurement FAILED", append(what, "err", err.Error())...)
			return
		}
		log.Info("measured", append(what, "mb_per_s", round1(rep.MBps), "cpu_mb_per_s", round1(rep.CPUMBps), "peak_rss", units.FormatSize(rep.PeakRSSBytes))...)
	}
}

func round1(f float64) float64 { return math.Round(f*10) / 10 }
