package scrape

import (
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/sluicehq/sluice/scrape/clock"
)

// Defaults used where Options leaves a field zero.
const (
	DefaultConcurrency  = 8 // RIPEstat's documented limit per IP address
	DefaultMaxAttempts  = 5
	DefaultStallTimeout = 60 * time.Second
	DefaultMaxBodySize  = 16 << 30
	// DefaultSpeedLimit and DefaultSpeedTime: an attempt whose body moves
	// fewer than 35 bytes per second on average over 30 s (about 1 KiB
	// in 30 s) is abandoned and retried, like curl --speed-limit 35
	// --speed-time 30. Any body that keeps coming faster than that, however
	// large and however long it takes, is never cut.
	DefaultSpeedLimit = 35
	DefaultSpeedTime  = 30 * time.Second
)

// Options configures a Client. The zero value is not usable (URL is
// required); every other zero field takes the default its comment gives.
type Options struct {
	// URL is the template, e.g.
	// "https://stat.ripe.net/data/bgp-updates/data.json?resource={node}&starttime={start}".
	// {node} is the node, escaped for its place (query or path); every
	// other {name} must be a key of Vars. Placeholders cannot sit in the
	// scheme or host.
	URL string
	// Vars fills the other placeholders; values are escaped like {node}.
	// A variable whose name looks secret ("key", "token", …) is redacted
	// from logs and errors.
	Vars map[string]string
	// Secrets names more query parameters, variables, headers and
	// cookies whose values are secrets, beside the built-in list
	// (Secrets.Name); the Client redacts them from all it prints.
	Secrets Secrets
	// Header is sent with every request (API keys: never logged).
	// Accept-Encoding defaults to "zstd, gzip"; a value naming only
	// codings the client decodes (identity, gzip, zstd) is kept, any
	// other is replaced.
	Header http.Header
	// Rate is the starting and maximum number of requests per second,
	// shared by all Fetch calls. Zero: no limit until the server answers
	// 429, after which the rate adapts (see the package doc).
	Rate float64
	// Burst is the token bucket's size; zero means 1 (evenly spaced
	// requests, which keeps a server's fixed windows from filling at
	// once).
	Burst int
	// Concurrency caps the requests in flight and sizes the connection
	// pool; zero means DefaultConcurrency.
	Concurrency int
	// MaxAttempts per node, first try included; zero means
	// DefaultMaxAttempts.
	MaxAttempts int
	// MaxNodeTime caps the time one Fetch spends on a node, waits and
	// retries included; zero means no cap.
	MaxNodeTime time.Duration
	// RequestTimeout caps one attempt, body included; zero means no cap
	// (StallTimeout still catches a dead server).
	RequestTimeout time.Duration
	// StallTimeout abandons (and retries) an attempt whose response
	// headers or next body bytes do not arrive for that long; zero means
	// DefaultStallTimeout. It counts from the last byte read, so a
	// consume that stops reading for that long also ends the attempt.
	StallTimeout time.Duration
	// SpeedLimit and SpeedTime are the minimum transfer speed of a body:
	// an attempt that moves fewer than SpeedLimit bytes per second on
	// average over any SpeedTime is abandoned (ErrTooSlow) and retried.
	// It catches the body that drips a byte at a time, which StallTimeout
	// never does. Zero means DefaultSpeedLimit and DefaultSpeedTime; a
	// negative SpeedLimit turns the check off. With a BytesPerSecond
	// budget, the limit is at most half the budget (the budget's waits
	// are ours, not the server's).
	SpeedLimit int64
	SpeedTime  time.Duration
	// MaxBodySize caps the decoded body; past it the attempt fails with
	// ErrBodyTooLarge (not retried). Zero means DefaultMaxBodySize,
	// negative means no cap.
	MaxBodySize int64
	// BytesPerSecond is a budget on body bytes read from the network,
	// shared by all Fetch calls; zero means none.
	BytesPerSecond float64
	// CaptureDir, when set, receives every successful body,
	// zstd-compressed, as <CaptureName(node)>.json.zst. It must exist.
	CaptureDir string
	// WrapTransport, when set, receives the client's HTTP transport and
	// returns the one to use: a recorder wraps it (scrape/record), a
	// replay replaces it. Every attempt, redirects included, goes through
	// the returned RoundTripper; the client reads each body to its end or
	// closes it.
	WrapTransport func(http.RoundTripper) http.RoundTripper
	// Logger receives retries, server-imposed waits and rate changes
	// (Warn/Info) and one line per attempt (Debug); nil means none.
	Logger *slog.Logger
	// Clock is the one source of time: statistics, header deadlines,
	// the rate limiter, back-off sleeps, stall and request timers. nil
	// means the system clock; tests pass a *clock.Fake.
	Clock clock.Clock
	// Budget, when set, replaces the client's own rate limiter and gate
	// with a budget shared with other processes (scrape/budget's, on
	// Redis): every attempt takes one reservation from it, and 429s and
	// client-wide delays are passed on to it, so that one process's 429
	// slows all of them. Rate and Burst then only configure the budget.
	// nil: the client's own limits, as without coordination.
	Budget SharedBudget
	// Slots, when set, caps the requests in flight across processes
	// (e.g. RIPEstat's 8 per IP for processes behind one address): each
	// attempt holds one of its slots, besides one of Concurrency's.
	Slots SharedSlots
	// MinBackoff and MaxBackoff bound the exponential back-off between
	// attempts (full jitter); zero means DefaultMinBackoff and
	// DefaultMaxBackoff.
	MinBackoff, MaxBackoff time.Duration
}

// withDefaults checks o and fills its zero fields.
func (o Options) withDefaults() (Options, error) {
	for _, f := range []struct {
		name  string
		value any
		bad   bool
	}{
		{"Rate", o.Rate, o.Rate < 0},
		{"BytesPerSecond", o.BytesPerSecond, o.BytesPerSecond < 0},
		{"Burst", o.Burst, o.Burst < 0},
		{"Concurrency", o.Concurrency, o.Concurrency < 0},
		{"MaxAttempts", o.MaxAttempts, o.MaxAttempts < 0},
		{"MaxNodeTime", o.MaxNodeTime, o.MaxNodeTime < 0},
		{"RequestTimeout", o.RequestTimeout, o.RequestTimeout < 0},
		{"StallTimeout", o.StallTimeout, o.StallTimeout < 0},
		{"SpeedTime", o.SpeedTime, o.SpeedTime < 0},
		{"MinBackoff", o.MinBackoff, o.MinBackoff < 0},
		{"MaxBackoff", o.MaxBackoff, o.MaxBackoff < 0},
	} {
		if f.bad {
			return o, &OptionError{Field: f.name, Value: f.value, Want: "must be ≥ 0"}
		}
	}
	if o.Burst == 0 {
		o.Burst = 1
	}
	if o.Concurrency == 0 {
		o.Concurrency = DefaultConcurrency
	}
	if o.MaxAttempts == 0 {
		o.MaxAttempts = DefaultMaxAttempts
	}
	if o.StallTimeout == 0 {
		o.StallTimeout = DefaultStallTimeout
	}
	if o.SpeedLimit == 0 {
		o.SpeedLimit = DefaultSpeedLimit
	}
	if o.SpeedTime == 0 {
		o.SpeedTime = DefaultSpeedTime
	}
	if o.BytesPerSecond > 0 && o.SpeedLimit > 0 {
		o.SpeedLimit = min(o.SpeedLimit, int64(o.BytesPerSecond/2))
	}
	if o.MaxBodySize == 0 {
		o.MaxBodySize = DefaultMaxBodySize
	}
	if o.MinBackoff == 0 {
		o.MinBackoff = DefaultMinBackoff
	}
	if o.MaxBackoff == 0 {
		o.MaxBackoff = max(DefaultMaxBackoff, o.MinBackoff)
	}
	if o.MaxBackoff < o.MinBackoff {
		return o, &OptionError{Field: "MaxBackoff", Value: o.MaxBackoff, Want: fmt.Sprintf("must be ≥ MinBackoff %v", o.MinBackoff)}
	}
	o.Clock = clock.Or(o.Clock)
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o, nil
}

// OptionError is an Options field that New refuses: the field's name, its
// value and what it must be. A command line maps Field to its own flag.
type OptionError struct {
	Field string // the Options field, e.g. "Burst"
	Value any    // its value
	Want  string // what it must be, e.g. "must be ≥ 0"
}

func (e *OptionError) Error() string {
	return fmt.Sprintf("scrape: option %s %v: %s", e.Field, e.Value, e.Want)
}
