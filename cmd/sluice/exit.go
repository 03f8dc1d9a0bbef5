package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/sluicehq/sluice/batch"
	"github.com/sluicehq/sluice/store"
)

// Exit statuses, the same for every command; the README's table says the
// same. exitStatus is the one place that maps an error to one of them.
const (
	exitOK          = 0 // all done
	exitFailed      = 1 // finished, some nodes dead-lettered, nothing else wrong (extract: the input is malformed)
	exitUsage       = 2 // usage or configuration error: running it again as it is cannot help
	exitInterrupted = 3 // stopped by a signal before the end; run again to resume
	exitRetry       = 4 // could not finish (I/O error, disk full, server unreachable): a rerun may
)

// exitError carries the status a command wants, with the error to print.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func usageError(err error) error { return &exitError{exitUsage, err} }
func failure(err error) error    { return &exitError{exitFailed, err} }
func retryable(err error) error  { return &exitError{exitRetry, err} }

// onUsageError is the OnUsageError of the app and of every command: a flag
// that does not parse is a usage error, named as the user types it.
func onUsageError(_ *cli.Context, err error, _ bool) error {
	return usageError(&flagError{msg: doubleDash(err.Error()), err: err})
}

// flagError is a flag-parsing error with its message rewritten.
type flagError struct {
	msg string
	err error
}

func (e *flagError) Error() string { return e.msg }
func (e *flagError) Unwrap() error { return e.err }

// flagRef matches the flag names of Go's flag package messages ("for flag
// -rate", "not defined: -bogus", "needs an argument: -out"), which show one
// dash where sluice's help, README and users write two.
var flagRef = regexp.MustCompile(`(flag|defined:|argument:) -([A-Za-z0-9][A-Za-z0-9-]+)`)

func doubleDash(msg string) string { return flagRef.ReplaceAllString(msg, "$1 --$2") }

// exitCode maps the error a command returned to an exit status, printing
// it on stderr: one line, or with --log-format json one error record with
// the status.
func exitCode(err error, io *stdio) int {
	code := exitStatus(err)
	if err == nil {
		return code
	}
	msg := err.Error()
	switch {
	case msg == "":
	case io.logJSON:
		rec := slog.NewRecord(io.now(), slog.LevelError, msg, 0)
		rec.AddAttrs(slog.Int("exit_status", code))
		_ = io.logHandler(slog.LevelError).Handle(context.Background(), rec)
	default:
		fmt.Fprintf(io.err, "sluice: %s\n", msg)
	}
	return code
}

// requiredFlags matches urfave/cli's error for missing required flags,
// which has no exported type.
var requiredFlags = regexp.MustCompile(`^Required flags? "(.*)" not set$`)

// exitStatus is the status of err: a status a command chose, then what
// the error is (an interruption, a folder of another run, a job that
// cannot run), and exitRetry for anything else: an I/O error, a full
// disk, an unreachable server, which a rerun may get past.
func exitStatus(err error) int {
	var ee *exitError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ee):
		return ee.code
	case errors.Is(err, context.Canceled):
		return exitInterrupted
	case errors.As(err, new(cli.ExitCoder)):
		return exitUsage // urfave/cli's own: "No help topic for 'x'"
	case errors.Is(err, store.ErrParamsMismatch), errors.Is(err, store.ErrLocked),
		errors.Is(err, store.ErrUnknownFormat), errors.Is(err, batch.ErrInvalidJob),
		requiredFlags.MatchString(err.Error()):
		return exitUsage
	}
	return exitRetry
}

// missingFlags rewrites urfave/cli's "Required flags "nodes, out" not set"
// as the flags the user types.
func missingFlags(err error) error {
	if err == nil {
		return nil
	}
	m := requiredFlags.FindStringSubmatch(err.Error())
	if m == nil {
		return err
	}
	names := strings.Split(m[1], ", ")
	for i, n := range names {
		names[i] = "--" + n
	}
	return usageError(fmt.Errorf("missing required flag %s", strings.Join(names, ", ")))
}
