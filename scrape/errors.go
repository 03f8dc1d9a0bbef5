package scrape

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/sluicehq/sluice/extract"
)

// Sentinels for errors.Is; the error that wraps them says where.
var (
	// ErrBodyTooLarge: the decoded body passed Options.MaxBodySize. Not
	// retried: the next answer would be as large. It is extract's
	// sentinel, so one errors.Is serves a body cut by either package.
	ErrBodyTooLarge = extract.ErrBodyTooLarge
	// ErrStalled: no response headers, or no body byte, arrived for
	// Options.StallTimeout. Retried.
	ErrStalled = errors.New("stalled")
	// ErrTooSlow: the body moved fewer than Options.SpeedLimit bytes per
	// second over Options.SpeedTime. Retried.
	ErrTooSlow = errors.New("body too slow")
	// ErrNodeTimeout: Options.MaxNodeTime ran out before an attempt
	// succeeded.
	ErrNodeTimeout = errors.New("max node time exceeded")
	// ErrNoCapture: the Replayer has no capture for the node.
	ErrNoCapture = errors.New("no capture")
	// ErrClosed: Fetch was called after Close.
	ErrClosed = errors.New("client closed")

	// errRequestTimeout is the cause of an attempt cut by
	// Options.RequestTimeout.
	// It wraps context.DeadlineExceeded for callers that ask the
	// request's context (context.Cause) why it ended.
	errRequestTimeout = fmt.Errorf("request timeout: %w", context.DeadlineExceeded)
)

// FetchError is the final failure of a node: every attempt failed, or one
// failed in a way that retrying cannot fix. Its message says why (the last
// error, last HTTP status and number of attempts) and contains no secret.
type FetchError struct {
	Node       string
	Attempts   int   // requests sent, throttled ones included; 0 when the node was rejected before any
	LastStatus int   // HTTP status of the last response; 0 if none arrived
	Err        error // the last attempt's error (redacted)
}

func (e *FetchError) Error() string {
	status := "no response"
	if e.LastStatus != 0 {
		status = fmt.Sprintf("last status %d", e.LastStatus)
	}
	return fmt.Sprintf("scrape: node %q: %d attempt%s, %s: %v",
		e.Node, e.Attempts, plural(e.Attempts), status, e.Err)
}

func (e *FetchError) Unwrap() error { return e.Err }

// StatusError is an attempt that got an HTTP status other than 2xx.
type StatusError struct {
	Code    int
	Snippet string // start of the response body, redacted, for the dead-letter file
}

func (e *StatusError) Error() string {
	msg := fmt.Sprintf("HTTP %d %s", e.Code, http.StatusText(e.Code))
	if e.Snippet != "" {
		msg += fmt.Sprintf(": %q", e.Snippet)
	}
	return msg
}

// attemptError is one failed attempt, classified.
type attemptError struct {
	err       error
	retryable bool
	throttled bool      // a 429, or a 503 with Retry-After: "not yet", not counted against MaxAttempts
	notBefore time.Time // a Retry-After that binds this node's next attempt only; zero: none
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
