package main

import (
	"errors"
	"fmt"
	stdlibio "io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/sluicehq/sluice/bench/mockapi"
	"github.com/sluicehq/sluice/bench/synth"
)

// The demo's mock: every fault at a low rate, a rate limit the client
// starts above, and one resource that always fails, so that a short run
// shows retries, 429s, AIMD and a dead letter. 503s are rare because each
// carries a Retry-After that the client honours for all its workers.
const (
	demoFaults   = "500=0.01,502=0.005,503=0.001,html=0.005,reset=0.01,truncate=0.01,stall=0.002,length=0.005,maintenance=0.005,error=0.005,stall-for=3s"
	demoSizes    = "lognormal:12KiB:1.2:2MiB"
	demoLatency  = "lognormal:10ms:0.5"
	demoLimit    = 400 // requests per window per client
	demoDoomed   = "AS64512"
	demoSourceID = "sluice-demo"
)

// demoCommand runs the daily job against the built-in mock API and checks
// the result against the mock's ground truth.
func demoCommand(io *stdio) *cli.Command {
	return &cli.Command{
		Name:  "demo",
		Usage: "run the daily RIPEstat job against a built-in mock API on loopback and check the result",
		Flags: []cli.Flag{
			&cli.IntFlag{Name: "nodes", Value: 3000, Usage: "number of resources"},
			&cli.StringFlag{Name: "out", Usage: "output `DIR` (default: a new temporary folder)"},
			&cli.Uint64Flag{Name: "seed", Value: 1, Usage: "seed of the mock's bodies and faults"},
			&cli.IntFlag{Name: "concurrency", Value: 32, Usage: "nodes fetched at once"},
			&cli.StringFlag{Name: "progress", Value: "auto", Usage: "progress on stderr: auto (a bar on a terminal, else log records), bar, log or none"},
		},
		OnUsageError: onUsageError,
		Action: func(c *cli.Context) error {
			if c.Int("nodes") < 1 {
				return usageError(fmt.Errorf("--nodes %d: want at least 1", c.Int("nodes")))
			}
			return runDemo(c, io)
		},
	}
}

func runDemo(c *cli.Context, io *stdio) error {
	faults, err := mockapi.ParseFaults(demoFaults)
	if err != nil {
		return err
	}
	sizes, err := mockapi.ParseSizeDist(demoSizes)
	if err != nil {
		return err
	}
	latency, err := mockapi.ParseLatency(demoLatency)
	if err != nil {
		return err
	}
	inst, err := mockapi.Start(mockapi.Config{
		Seed:      c.Uint64("seed"),
		Limit:     demoLimit,
		Window:    time.Second,
		Latency:   latency,
		Faults:    faults,
		Sizes:     sizes,
		Overrides: map[string]mockapi.Override{demoDoomed: {Fault: mockapi.Fault502}},
	}, "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("demo: start mock API: %w", err)
	}
	defer inst.Close()

	work := c.String("out")
	if work == "" {
		if work, err = os.MkdirTemp("", "sluice-demo-"); err != nil {
			return fmt.Errorf("demo: %w", err)
		}
	}
	out := filepath.Join(work, "out")
	nodes := demoNodes(c.Int("nodes"))
	nodesFile := filepath.Join(work, "nodes.txt")
	if err := os.MkdirAll(work, 0o755); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	if err := os.WriteFile(nodesFile, []byte(strings.Join(nodes, "\n")+"\n"), 0o644); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	day := io.now().UTC().AddDate(0, 0, -1).Format(time.DateOnly)
	start, end, err := ripestatWindow(day, "", "", time.Time{})
	if err != nil {
		return err
	}
	log := io.logger() // the demo's own lines are records of the one stream
	log.Info("mock RIPEstat API started", "url", inst.URL, "limit_per_s", demoLimit, "faults", demoFaults, "sizes", demoSizes)
	self := selfCommand()

	// The demo runs the real command with the flags a user would type; the
	// client starts at twice the server's limit and must settle under it.
	args := []string{"sluice", "ripestat", "--nodes", nodesFile, "--out", out, "--date", day,
		"--base-url", inst.URL, "--sourceapp", demoSourceID,
		"--rate", strconv.Itoa(2 * demoLimit), "--burst", "8",
		"--concurrency", strconv.Itoa(c.Int("concurrency")),
		"--stall-timeout", "1s", "--max-attempts", "6", "--max-backoff", "2s", "--progress", c.String("progress")}
	if io.logJSON {
		args = append(args, "--log-format", "json")
	}
	log.Info("running the daily job", "command", self+" "+strings.Join(args[1:], " "))
	jobErr := newApp(io, stdlibio.Discard).RunContext(c.Context, args)
	var ee *exitError
	if jobErr != nil && !(errors.As(jobErr, &ee) && ee.code == exitFailed) {
		return jobErr // interrupted or broken: nothing to check
	}

	v, err := mockapi.CheckRun(out, nodes, func(node string) (synth.Truth, error) {
		return inst.Server.Truth(node, start, end)
	})
	if err != nil {
		return failure(fmt.Errorf("demo: check %s: %w", out, err))
	}
	st := inst.Server.Stats()
	cs := st.Clients[demoSourceID]
	log.Info("the mock API's own count", "requests", cs.Requests, "status_429", cs.Status429,
		"most_in_one_window", cs.MaxInWindow, "allowed_per_window", demoLimit, "window", "1s", "faults_injected", cs.Faults)
	if len(v.Mismatches) > 0 {
		for i, m := range v.Mismatches {
			if i == 10 {
				log.Error("more mismatches", "count", len(v.Mismatches)-10)
				break
			}
			log.Error("mismatch with the mock's ground truth", "what", m)
		}
		return failure(fmt.Errorf("demo: check FAILED: %d of %d nodes disagree with the mock's ground truth", len(v.Mismatches), len(nodes)))
	}
	log.Info("check passed: every node matches the mock's ground truth exactly (counts, first, last, every hour); none lost, none twice",
		"ok", v.OK, "dead", v.Dead, "dead_because", demoDoomed+" always answers 502")
	log.Info("output", "out", out, "export", self+" export "+out+" --format csv | head",
		"export_bucketed", self+" export "+out+" --format csv --bucketed | head")
	return nil
}

// demoNodes makes n resources like a real list: mostly AS numbers, some
// prefixes, and the one that always fails.
func demoNodes(n int) []string {
	nodes := make([]string, 0, n)
	nodes = append(nodes, demoDoomed)
	for i := 1; len(nodes) < n; i++ {
		if i%5 == 0 {
			nodes = append(nodes, fmt.Sprintf("%d.%d.%d.0/24", 10+i/65536%200, i/256%256, i%256))
			continue
		}
		nodes = append(nodes, "AS"+strconv.Itoa(i))
	}
	return nodes
}

// selfCommand is how the user can run this binary again in the hints:
// "sluice" when installed, "go run ./cmd/sluice" when `go run` built it
// into a temporary folder, which is gone when it exits.
func selfCommand() string {
	exe, err := os.Executable()
	if err != nil {
		return "sluice"
	}
	return selfCommandOf(exe, os.TempDir())
}

func selfCommandOf(exe, tmp string) string {
	if strings.HasPrefix(exe, filepath.Join(tmp, "go-build")) {
		return "go run ./cmd/sluice"
	}
	return "sluice"
}
