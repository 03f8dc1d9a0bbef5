package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/sluicehq/sluice/bench/mockapi"
	"github.com/urfave/cli/v2"
)

// serveMockCommand runs the mock RIPEstat API until interrupted, so that a
// cron job can be rehearsed against rate limits, faults and huge bodies.
func serveMockCommand(io *stdio) *cli.Command {
	mockEnv := func(flag string) []string { return env("mock-" + flag) } // SLUICE_MOCK_…
	return &cli.Command{
		Name:  "serve-mock",
		Usage: "serve a mock RIPEstat bgp-updates API (rate limits, latency, faults, huge bodies) on loopback",
		Description: "Endpoints: GET " + mockapi.DataPath + "?resource=R&starttime=T1&endtime=T2[&sourceapp=A][&unix_timestamps=true],\n" +
			"GET /truth?resource=R&starttime=T1&endtime=T2 (the ground truth), GET /stats (per client).\n" +
			"Specs: --latency none|fixed:20ms|uniform:5ms:50ms|lognormal:20ms:0.5;\n" +
			"--faults 500=0.05,502=0.01,503=0.02,html=0.01,reset=0.02,truncate=0.01,stall=0.01,length=0.01,maintenance=0.01,error=0.01[,seed=N][,stall-for=2m];\n" +
			"--size-dist heavy|heavy:MIN:ALPHA:MAX|fixed:64KiB|uniform:MIN:MAX|lognormal:MEDIAN:SIGMA[:MAX];\n" +
			"--override RESOURCE=ITEM[,ITEM] with ITEM a size (3GiB), updates:N, or a fault[@RATE] (AS1=503, AS2=reset@0.5).",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "addr", Value: "127.0.0.1:8080", Usage: "listen `ADDRESS` (loopback by default; port 0 picks a free one)", EnvVars: mockEnv("addr")},
			&cli.Uint64Flag{Name: "seed", Usage: "seed of the bodies, faults and latencies", EnvVars: mockEnv("seed")},
			&cli.IntFlag{Name: "limit", Usage: "requests per window per client (sourceapp, else IP); 0: no limit", EnvVars: mockEnv("limit")},
			&cli.DurationFlag{Name: "window", Value: time.Second, Usage: "fixed rate-limit window", EnvVars: mockEnv("window")},
			&cli.IntFlag{Name: "max-concurrent", Usage: "open requests per client; 0: no limit (RIPEstat documents 8)", EnvVars: mockEnv("max-concurrent")},
			&cli.DurationFlag{Name: "retry-after", Value: time.Second, Usage: "unit of the Retry-After sent with a 429 over --max-concurrent and with 500 and 503 faults; 1s is written in whole seconds, another unit as decimal seconds (0.05)", EnvVars: mockEnv("retry-after")},
			&cli.StringFlag{Name: "latency", Value: "none", Usage: "time to first byte: `SPEC` (none, fixed:D, uniform:D1:D2, lognormal:MEDIAN:SIGMA)", EnvVars: mockEnv("latency")},
			&cli.StringFlag{Name: "bandwidth", Usage: "cap per answer in bytes per second, e.g. 10MB; empty: none", EnvVars: mockEnv("bandwidth")},
			&cli.StringFlag{Name: "faults", Value: "none", Usage: "fault rates: `SPEC`, e.g. 500=0.05,reset=0.02,stall=0.01", EnvVars: mockEnv("faults")},
			&cli.StringFlag{Name: "size-dist", Value: "heavy", Usage: "body size distribution: `SPEC`", EnvVars: mockEnv("size-dist")},
			&cli.GenericFlag{Name: "override", Value: &overrideFlag{}, Usage: "per-resource `RESOURCE=ITEM[,ITEM]` (repeatable), e.g. AS3333=3GiB or AS1=503"},
			&cli.DurationFlag{Name: "log-interval", Value: time.Second, Usage: "how often to log what was served", EnvVars: mockEnv("log-interval")},
		},
		OnUsageError: onUsageError,
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usageError(fmt.Errorf("serve-mock: unexpected argument %q", c.Args().First()))
			}
			cfg, err := mockConfig(c)
			if err != nil {
				return usageError(fmt.Errorf("serve-mock: %w", err))
			}
			return serveMock(c.Context, cfg, c.String("addr"), c.Duration("log-interval"), io.logger())
		},
	}
}

// overrideFlag collects repeated --override flags; unlike a string slice
// flag it does not split on commas, which the override spec uses.
type overrideFlag struct {
	m map[string]mockapi.Override
}

func (f *overrideFlag) Set(s string) error {
	res, o, err := mockapi.ParseOverride(s)
	if err != nil {
		return err
	}
	if f.m == nil {
		f.m = make(map[string]mockapi.Override)
	}
	f.m[res] = o
	return nil
}

func (f *overrideFlag) String() string {
	if f == nil || len(f.m) == 0 {
		return ""
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(f.m)) {
		parts = append(parts, k+"="+f.m[k].String())
	}
	return strings.Join(parts, " ")
}

// mockConfig builds the server configuration from the flags.
func mockConfig(c *cli.Context) (mockapi.Config, error) {
	cfg := mockapi.Config{
		Seed:          c.Uint64("seed"),
		Limit:         c.Int("limit"),
		Window:        c.Duration("window"),
		MaxConcurrent: c.Int("max-concurrent"),
		RetryAfter:    c.Duration("retry-after"),
	}
	if cfg.Limit < 0 || cfg.MaxConcurrent < 0 || cfg.Window <= 0 || cfg.RetryAfter <= 0 {
		return cfg, fmt.Errorf("--limit, --max-concurrent must be >= 0 and --window, --retry-after > 0 (got %d, %d, %v, %v)", cfg.Limit, cfg.MaxConcurrent, cfg.Window, cfg.RetryAfter)
	}
	if c.Duration("log-interval") <= 0 {
		return cfg, fmt.Errorf("--log-interval %v: want a positive duration", c.Duration("log-interval"))
	}
	var err error
	if cfg.Latency, err = mockapi.ParseLatency(c.String("latency")); err != nil {
		return cfg, fmt.Errorf("--latency: %w", err)
	}
	if bw := c.String("bandwidth"); bw != "" {
		v, err := mockapi.ParseBytes(strings.TrimSuffix(bw, "/s"))
		if err != nil {
			return cfg, fmt.Errorf("--bandwidth: %w", err)
		}
		cfg.Latency.BytesPerSecond = float64(v)
	}
	if cfg.Faults, err = mockapi.ParseFaults(c.String("faults")); err != nil {
		return cfg, fmt.Errorf("--faults: %w", err)
	}
	if cfg.Sizes, err = mockapi.ParseSizeDist(c.String("size-dist")); err != nil {
		return cfg, fmt.Errorf("--size-dist: %w", err)
	}
	if f, ok := c.Generic("override").(*overrideFlag); ok {
		cfg.Overrides = f.m
	}
	return cfg, nil
}

// serveMock serves until ctx is canceled (SIGINT/SIGTERM), logging one line
// per interval with what was served in it, then shuts down gracefully.
func serveMock(ctx context.Context, cfg mockapi.Config, addr string, every time.Duration, log *slog.Logger) error {
	cfg.Logger = log.With("component", "mockapi")
	inst, err := mockapi.Start(cfg, addr)
	if err != nil {
		return failure(fmt.Errorf("serve-mock: %w", err))
	}
	scope := "loopback only"
	if !isLoopback(inst.Addr) {
		scope = "NOT loopback: reachable from other machines"
	}
	log.Info("serve-mock: listening", "url", inst.URL, "scope", scope, "seed", cfg.Seed,
		"limit", cfg.Limit, "window", cfg.Window, "max_concurrent", cfg.MaxConcurrent,
		"latency", cfg.Latency.String(), "faults", cfg.Faults.String(), "sizes", cfg.Sizes.String(),
		"overrides", len(cfg.Overrides))

	tick := time.NewTicker(every)
	defer tick.Stop()
	var last mockapi.ClientStats
	for done := false; !done; {
		select {
		case <-ctx.Done():
			done = true
		case <-tick.C:
		}
		st := inst.Server.Stats()
		if d := diffStats(st.Total, last); d.Requests > 0 || d.Bytes > 0 {
			log.Info("serve-mock: served", "requests", d.Requests, "ok", d.OK, "status_429", d.Status429,
				"status_4xx", d.Status4xx, "faults", d.Faults, "aborted", d.Aborted,
				"mib", fmt.Sprintf("%.1f", float64(d.Bytes)/(1<<20)), "clients", len(st.Clients))
		}
		last = st.Total
	}

	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err = inst.Shutdown(shutdown)
	st := inst.Server.Stats().Total
	log.Info("serve-mock: stopped", "requests", st.Requests, "ok", st.OK, "status_429", st.Status429,
		"faults", st.Faults, "mib", fmt.Sprintf("%.1f", float64(st.Bytes)/(1<<20)))
	if err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return failure(fmt.Errorf("serve-mock: shutdown: %w", err))
	}
	return nil
}

// diffStats returns the counters of a minus those of b.
func diffStats(a, b mockapi.ClientStats) mockapi.ClientStats {
	return mockapi.ClientStats{
		Requests: a.Requests - b.Requests, OK: a.OK - b.OK, Status429: a.Status429 - b.Status429,
		Status4xx: a.Status4xx - b.Status4xx, Faults: a.Faults - b.Faults, Aborted: a.Aborted - b.Aborted,
		Bytes: a.Bytes - b.Bytes,
	}
}

// isLoopback reports whether a listen address is reachable from this
// machine only.
func isLoopback(a net.Addr) bool {
	tcp, ok := a.(*net.TCPAddr)
	return ok && tcp.IP.IsLoopback()
}
