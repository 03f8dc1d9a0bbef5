// Command sluice is a memory-bounded streaming scraper for huge JSON
// responses. Each subcommand lives in its own file; this one wires them
// together and maps errors to exit codes in one place (exit.go).
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/sluicehq/sluice/scrape/clock"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args, &stdio{in: os.Stdin, out: os.Stdout, err: os.Stderr})
	stop()
	os.Exit(code)
}

// stdio is where a command reads and writes; tests substitute buffers.
type stdio struct {
	in    io.Reader
	out   io.Writer
	err   io.Writer
	clock clock.Clock // nil: the system clock
}

// now reads the command's clock.
func (s *stdio) now() time.Time { return clock.Or(s.clock).Now() }

// run is main without the process around it, so tests can call it.
func run(ctx context.Context, args []string, io *stdio) int {
	return exitCode(missingFlags(newApp(io).RunContext(ctx, args)), io.err)
}

func newApp(io *stdio) *cli.App {
	return &cli.App{
		Name:      "sluice",
		Usage:     "a memory-bounded streaming scraper for huge JSON responses",
		Version:   version(),
		Reader:    io.in,
		Writer:    io.out,
		ErrWriter: io.err,
		// exitCode decides the status; urfave must not exit on its own.
		ExitErrHandler: func(*cli.Context, error) {},
		OnUsageError:   onUsageError,
		Commands:       commands(io),
		// Reached when the first argument is no command (urfave's own
		// answer exits 3, the status of an interruption).
		Action: func(c *cli.Context) error {
			if c.Args().Present() {
				return usageError(fmt.Errorf("unknown command %q (sluice --help lists them)", c.Args().First()))
			}
			return cli.ShowAppHelp(c)
		},
	}
}

// commands lists the subcommands; each is built in its own file.
func commands(io *stdio) []*cli.Command {
	return []*cli.Command{
		extractCommand(io),
		scrapeCommand(io),
		ripestatCommand(io),
		replayCommand(io),
		demoCommand(io),
		exportCommand(io),
		benchCommand(io),
		serveMockCommand(io),
		statusCommand(io),
		mergeCommand(io),
		serveCapturesCommand(io),
	}
}
