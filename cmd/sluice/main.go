// Command sluice is a memory-bounded streaming scraper for huge JSON
// responses. Each subcommand lives in its own file; this one wires them
// together and maps errors to exit codes in one place (exit.go).
package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"slices"
	"strings"
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
	// logJSON is --log-format json: every line on stderr, of every
	// command, is a JSON record. run sets it before urfave/cli parses
	// anything, so that a flag that does not parse is reported so too.
	logJSON bool
}

// now reads the command's clock.
func (s *stdio) now() time.Time { return clock.Or(s.clock).Now() }

// logHandler writes the records of level and above on stderr in
// --log-format.
func (s *stdio) logHandler(level slog.Level) slog.Handler {
	o := &slog.HandlerOptions{Level: level}
	if s.logJSON {
		return slog.NewJSONHandler(s.err, o)
	}
	return slog.NewTextHandler(s.err, o)
}

// logger is the log of a command that has no reporter (merge, export,
// serve-mock …): info and above, in --log-format.
func (s *stdio) logger() *slog.Logger { return slog.New(s.logHandler(slog.LevelInfo)) }

// run is main without the process around it, so tests can call it.
func run(ctx context.Context, args []string, io *stdio) int { return runWith(ctx, args, io, nil) }

// runWith is run with a hook that may change the app before it runs: a
// test wraps the commands' actions with it.
func runWith(ctx context.Context, args []string, io *stdio, prepare func(*cli.App)) int {
	logJSON, err := logFormatOf(args[min(1, len(args)):], os.Getenv)
	if err != nil {
		return exitCode(usageError(err), io)
	}
	io.logJSON = logJSON
	// urfave/cli's own output (help, --version) is held back: it goes to
	// stdout when the command line asked for it, and nowhere when it
	// comes with an error (a missing required flag prints the help), which
	// exitCode reports as one line or record on stderr instead.
	var own bytes.Buffer
	app := newApp(io, &own)
	if prepare != nil {
		prepare(app)
	}
	err = missingFlags(app.RunContext(ctx, args))
	if err == nil {
		_, _ = own.WriteTo(io.out)
	}
	return exitCode(err, io)
}

// logFormatOf reads --log-format from the command line, wherever it is
// (urfave/cli takes it after the app's name and after any command), or
// else from SLUICE_LOG_FORMAT, before urfave/cli parses the flags: its
// parse errors are reported in that format too. Arguments after "--" are
// not flags.
func logFormatOf(args []string, getenv func(string) string) (json bool, err error) {
	format := getenv("SLUICE_LOG_FORMAT")
	if i := slices.Index(args, "--"); i >= 0 {
		args = args[:i]
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") {
			continue
		}
		name, val, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if name != "log-format" {
			continue
		}
		if !hasVal {
			if i+1 == len(args) {
				break // urfave/cli says the value is missing
			}
			i++
			val = args[i]
		}
		format = val
	}
	switch format {
	case "", "text":
		return false, nil
	case "json":
		return true, nil
	}
	return false, fmt.Errorf("--log-format %q: want text or json", format)
}

// logFormatFlag is --log-format; every command takes it (see
// withLogFormat), though run reads it first.
func logFormatFlag() cli.Flag {
	return &cli.StringFlag{Name: "log-format", Value: "text", Usage: "every line on stderr, progress and summary included: text (logfmt) or json", EnvVars: env("log-format")}
}

// withLogFormat gives every command of cmds, and their subcommands, the
// --log-format flag if it does not have it yet.
func withLogFormat(cmds []*cli.Command) []*cli.Command {
	for _, c := range cmds {
		if !slices.ContainsFunc(c.Flags, func(f cli.Flag) bool { return slices.Contains(f.Names(), "log-format") }) {
			c.Flags = append(c.Flags, logFormatFlag())
		}
		withLogFormat(c.Subcommands)
	}
	return cmds
}

// newApp is the command line; urfave/cli's own output (help, version)
// goes to own.
func newApp(io *stdio, own io.Writer) *cli.App {
	return &cli.App{
		Name:      "sluice",
		Usage:     "a memory-bounded streaming scraper for huge JSON responses",
		Version:   version(),
		Reader:    io.in,
		Writer:    own,
		ErrWriter: io.err,
		Flags:     []cli.Flag{logFormatFlag()},
		// exitCode decides the status; urfave must not exit on its own.
		ExitErrHandler: func(*cli.Context, error) {},
		OnUsageError:   onUsageError,
		Commands:       withLogFormat(commands(io)),
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
