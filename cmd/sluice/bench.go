package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/sluicehq/sluice/bench/measure"
	"github.com/sluicehq/sluice/bench/report"
)

// benchChildEnv is set in the environment of every benchmark child. The
// real binary picks its child role from its arguments (bench child); the
// cmd tests' binary, which cannot take those arguments, picks it from this
// variable (see bench_child_test.go).
const benchChildEnv = "SLUICE_BENCH_CHILD"

func benchCommand(io *stdio) *cli.Command {
	return &cli.Command{
		Name:  "bench",
		Usage: "measure extraction modes and scrape settings: speed and memory, with a report",
		Description: "Each measurement runs in a child process of this binary, so that its memory is its own.\n" +
			"--report DIR writes bench.json, bench.md and SVG charts; the extract and scrape benchmarks\n" +
			"each fill their own section of one report folder.",
		OnUsageError: onUsageError,
		Subcommands: []*cli.Command{
			benchExtractCommand(io),
			benchScrapeCommand(io),
			benchCoordCommand(io),
			benchReportCommand(io),
			benchChildCommand(io),
		},
	}
}

// benchReportCommand redraws a report folder from its bench.json, e.g.
// after a change to the charts, without measuring again.
func benchReportCommand(io *stdio) *cli.Command {
	return &cli.Command{
		Name:         "report",
		Usage:        "redraw bench.md and the SVG charts of a report folder from its bench.json",
		ArgsUsage:    "DIR",
		OnUsageError: onUsageError,
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return usageError(fmt.Errorf("bench report: want one report folder, got %d arguments", c.NArg()))
			}
			dir := c.Args().First()
			if _, err := os.Stat(filepath.Join(dir, report.JSONFile)); err != nil {
				return usageError(fmt.Errorf("bench report: %w", err))
			}
			r, err := report.Load(dir)
			if err != nil {
				return failure(err)
			}
			if err := r.Write(dir); err != nil {
				return failure(err)
			}
			io.logger().Info("report redrawn", "dir", dir)
			return nil
		},
	}
}

// benchChildCommand is the hidden child side of every measurement: a
// request as JSON on stdin, the figures as JSON on stdout.
func benchChildCommand(io *stdio) *cli.Command {
	return &cli.Command{
		Name:         "child",
		Usage:        "run one measurement for a parent benchmark (internal)",
		Hidden:       true,
		OnUsageError: onUsageError,
		Action: func(c *cli.Context) error {
			if err := measure.Serve(c.Context, io.in, io.out); err != nil {
				return failure(err)
			}
			return nil
		},
	}
}

// runBench is the common body of the bench subcommands: it runs the
// measurement in children of this executable, prints its text and, with
// --report, merges its section (made by section) into the report folder.
// A nil result (cancelled, or the config refused) returns run's error as
// is; an error with a result (ErrDisagree) is a failure after the output.
func runBench[R any](c *cli.Context, std *stdio,
	run func(measure.Launcher) (*R, error),
	text func(io.Writer, *R) error,
	section func(report.Run, *R) *report.Report,
) error {
	l, err := benchLauncher()
	if err != nil {
		return failure(err)
	}
	start := time.Now()
	res, runErr := run(l)
	if res == nil {
		return runErr
	}
	if err := text(std.out, res); err != nil {
		return failure(err)
	}
	if dir := c.String("report"); dir != "" {
		r := report.Run{Command: commandLine(c), Date: start.UTC(), Machine: report.ThisMachine(), Seconds: time.Since(start).Seconds()}
		if err := writeReport(dir, section(r, res)); err != nil {
			return failure(err)
		}
		std.logger().Info("report written", "dir", dir)
	}
	if runErr != nil {
		return failure(runErr)
	}
	return nil
}

// writeReport merges update into the report already in dir, if any, and
// writes the folder.
func writeReport(dir string, update *report.Report) error {
	r, err := report.Load(dir)
	if err != nil {
		return err
	}
	r.Merge(update)
	return r.Write(dir)
}

// benchLauncher starts this executable as the measurement child.
func benchLauncher() (measure.ExecLauncher, error) {
	exe, err := os.Executable()
	if err != nil {
		return measure.ExecLauncher{}, fmt.Errorf("bench: find this executable to start children: %w", err)
	}
	return measure.ExecLauncher{
		Path: exe,
		Args: []string{"bench", "child"},
		Env:  append(os.Environ(), benchChildEnv+"=1"),
	}, nil
}

// commandLine rebuilds the command line of c from the flags that were
// set, for the report: "sluice bench extract --sizes=1MiB --gzip".
func commandLine(c *cli.Context) []string {
	args := []string{"sluice"}
	lineage := c.Lineage() // this command first, the app's contexts last
	for i := len(lineage) - 1; i >= 0; i-- {
		if cmd := lineage[i].Command; cmd != nil && cmd.Name != "" && cmd.Name != c.App.Name {
			args = append(args, cmd.Name)
		}
	}
	for _, f := range c.Command.Flags {
		name := f.Names()[0]
		if !c.IsSet(name) {
			continue
		}
		switch v := c.Value(name).(type) {
		case bool:
			if v {
				args = append(args, "--"+name)
			} else {
				args = append(args, "--"+name+"=false")
			}
		case cli.StringSlice:
			args = append(args, "--"+name+"="+strings.Join(v.Value(), ","))
		default:
			args = append(args, fmt.Sprintf("--%s=%v", name, v))
		}
	}
	return args
}
