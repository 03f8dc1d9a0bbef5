package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"

	"github.com/urfave/cli/v2"
)

// Exit statuses, the same for every command.
const (
	exitOK          = 0 // all done
	exitFailed      = 1 // finished with dead letters, or the input was bad
	exitUsage       = 2 // usage or configuration error
	exitInterrupted = 3 // stopped by a signal before the end; run again to resume
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
// it as one line on stderr.
func exitCode(err error, stderr io.Writer) int {
	code := codeOf(err)
	if err == nil {
		return code
	}
	if msg := err.Error(); msg != "" {
		fmt.Fprintf(stderr, "sluice: %s\n", msg)
	}
	return code
}

// codeOf is the exit status for err.
func codeOf(err error) int {
	if err == nil {
		return exitOK
	}
	var ee *exitError
	switch {
	case errors.As(err, &ee):
		return ee.code
	case errors.Is(err, context.Canceled):
		return exitInterrupted
	}
	return exitFailed
}
