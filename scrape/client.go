package scrape

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/sluicehq/sluice/scrape/clock"
)

// Fetcher gets one node's body at a time; Client fetches over HTTP,
// Replayer reads captures.
type Fetcher interface {
	// Fetch gets node's body and passes it, decoded and size-capped, to consume.
	// consume may be called once per attempt; an error from it (malformed body,
	// bad envelope) fails that attempt and is retried. A final failure is *FetchError.
	// Errors are already redacted: callers write their text as it is.
	Fetch(ctx context.Context, node string, consume func(body io.Reader) error) (Result, error)
}

// Result describes a node's successful fetch (and, on failure, what was
// known when it failed).
type Result struct {
	Node      string
	Status    int           // HTTP status of the last response; 0 if none arrived
	Attempts  int           // requests sent (what the server saw), the successful one included
	Throttled int           // of those, answered 429 or 503 with Retry-After: not counted against MaxAttempts
	WireBytes int64         // body bytes read from the connection, of the last attempt (see Stats.WireBytes)
	BodyBytes int64         // decoded body bytes, of the last attempt (0 for an error answer)
	TTFB      time.Duration // request sent to response headers, of the last attempt
	Duration  time.Duration // the whole Fetch, waits and retries included
	Waited    time.Duration // of Duration, the time attempts waited to be sent (slot, rate limit, server's gate), summed
}

// Stats are a Client's counters since New.
type Stats struct {
	Requests  int64 // attempts sent
	Retries   int64 // attempts that were followed by another
	Status429 int64
	Status5xx int64
	Stalls    int64 // attempts abandoned for StallTimeout
	Failures  int64 // Fetch calls that returned a *FetchError
	// WireBytes is every response body byte read from the connection:
	// after HTTP framing (chunked), before Content-Encoding is decoded;
	// of 2xx bodies, and of error answers what is read of them (up to
	// snippetLen+errorDrain). Bytes a server sent but the client never
	// read (a body cut short by a stall, a reset, an extraction error)
	// are not counted.
	WireBytes int64
	BodyBytes int64   // decoded bytes of 2xx bodies, every attempt
	Rate      float64 // current request rate limit; 0 means none
	// ByStatus counts responses by HTTP status code; Requests minus
	// their sum is the attempts that got no response.
	ByStatus map[int]int64
	Waited   time.Duration // time attempts waited to be sent, summed over attempts
}

// Client fetches nodes' bodies over HTTP with one shared connection pool,
// rate limit, gate and back-off policy. Create it with New; it is safe for
// concurrent use, and meant to be shared by all workers of a run so that
// they share the limits. Close it when done.
type Client struct {
	opts    Options
	tmpl    *template
	header  http.Header // sent with every request (cloned per request)
	hc      *http.Client
	tr      *http.Transport
	pacer   *pacer           // requests
	bw      *rate.Limiter    // body bytes; nil: no budget
	slots   *clock.Semaphore // Concurrency tokens
	limits  limits
	backoff backoff
	rand    func() float64 // uniform in [0, 1), for jitter
	red     redactor
	log     *slog.Logger
	dec     decoders
	enc     encoders
	closed  atomic.Bool

	requests, retries, s429, s5xx, stalls, failures, wire, body atomic.Int64
	waited                                                      atomic.Int64      // nanoseconds
	codes                                                       [600]atomic.Int64 // responses by status code
}

// errCrossHost refuses a redirect to another host: headers such as API
// keys must not follow it.
var errCrossHost = errors.New("redirect to another host refused")

// New checks o and returns a Client.
func New(o Options) (*Client, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("scrape: options: %w", err)
	}
	var secrets []string
	for _, vs := range o.Header {
		secrets = append(secrets, vs...)
	}
	for k, v := range o.Vars {
		if o.Secrets.Name(k) {
			secrets = append(secrets, v)
		}
	}
	for _, s := range secrets[:len(secrets):len(secrets)] {
		secrets = append(secrets, url.QueryEscape(s), url.PathEscape(s))
	}
	red := newRedactor(o.Secrets, secrets)
	tmpl, err := parseTemplate(o.URL, o.Vars)
	if err != nil {
		return nil, fmt.Errorf("scrape: %s", red.redact(err.Error()))
	}
	c := &Client{
		opts:    o,
		tmpl:    tmpl,
		header:  o.Header.Clone(),
		pacer:   newPacer(o.Rate, o.Burst),
		slots:   clock.NewSemaphore(o.Concurrency),
		limits:  limits{aimd: newAIMD(o.Rate)},
		backoff: backoff{base: o.MinBackoff, max: o.MaxBackoff},
		rand:    rand.Float64,
		red:     red,
		log:     o.Logger.With("pkg", "scrape"),
	}
	if c.header == nil {
		c.header = http.Header{}
	}
	if ae := c.header.Get("Accept-Encoding"); ae == "" || !acceptable(ae) {
		c.header.Set("Accept-Encoding", "zstd, gzip")
	}
	if c.header.Get("User-Agent") == "" {
		c.header.Set("User-Agent", "sluice")
	}
	if o.BytesPerSecond > 0 {
		c.bw = rate.NewLimiter(rate.Limit(o.BytesPerSecond), bwBurst(o.BytesPerSecond))
	}
	c.tr = &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          2 * o.Concurrency,
		MaxIdleConnsPerHost:   o.Concurrency,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
		DisableCompression:    true, // we ask for and decode zstd/gzip ourselves
		ReadBufferSize:        64 << 10,
	}
	var rt http.RoundTripper = c.tr
	if o.WrapTransport != nil {
		rt = o.WrapTransport(c.tr)
	}
	c.hc = &http.Client{
		Transport: rt,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 10 {
				return errors.New("more than 10 redirects")
			}
			if req.URL.Host != via[0].URL.Host {
				return errCrossHost
			}
			return nil
		},
	}
	return c, nil
}

// acceptable reports whether every coding an Accept-Encoding lists is one
// the client decodes, so that a caller may narrow the default (e.g. to
// "identity" or "gzip").
func acceptable(ae string) bool {
	for _, part := range strings.Split(ae, ",") {
		name, _, _ := strings.Cut(part, ";")
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "identity", "gzip", "zstd":
		default:
			return false
		}
	}
	return true
}

// limitOf converts a rate (0: none) to a rate.Limit.
func limitOf(r float64) rate.Limit {
	if r <= 0 || math.IsInf(r, 1) {
		return rate.Inf
	}
	return rate.Limit(r)
}

// bwBurst sizes the byte budget's bucket: a tenth of a second of budget,
// at least 4 KiB (a read smaller than that costs more than it saves), at
// most 1 MiB.
func bwBurst(bps float64) int {
	return int(min(max(bps/10, 4<<10), 1<<20))
}

// Stats returns the client's counters.
func (c *Client) Stats() Stats {
	r := c.limits.aimd.rateAt(c.now())
	if c.opts.Budget != nil {
		r = c.opts.Budget.Rate()
	}
	if math.IsInf(r, 1) {
		r = 0
	}
	return Stats{
		Requests:  c.requests.Load(),
		Retries:   c.retries.Load(),
		Status429: c.s429.Load(),
		Status5xx: c.s5xx.Load(),
		Stalls:    c.stalls.Load(),
		Failures:  c.failures.Load(),
		WireBytes: c.wire.Load(),
		BodyBytes: c.body.Load(),
		Rate:      r,
		ByStatus:  c.byStatus(),
		Waited:    time.Duration(c.waited.Load()),
	}
}

func (c *Client) byStatus() map[int]int64 {
	m := make(map[int]int64)
	for code := range c.codes {
		if n := c.codes[code].Load(); n > 0 {
			m[code] = n
		}
	}
	return m
}

// Close makes later Fetch calls fail with ErrClosed and closes idle
// connections. Fetch calls in progress finish normally.
func (c *Client) Close() {
	c.closed.Store(true)
	c.tr.CloseIdleConnections()
}

// now reads the client's clock.
func (c *Client) now() time.Time { return c.opts.Clock.Now() }
