package mockapi

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/sluicehq/sluice/bench/synth"
)

// DataPath is the path of the bgp-updates data call.
const DataPath = "/data/bgp-updates/data.json"

// Server is the mock API, an http.Handler. Create it with New; serve it
// with Start or any http.Server. It is safe for concurrent use.
type Server struct {
	cfg   Config
	lim   *limiter
	stats *statsBook
	enc   encoders

	mu       sync.Mutex
	attempts map[string]uint64 // data requests per resource so far: the fault draw's index

	ctx    context.Context // canceled by Close: ends latencies and stalls
	cancel context.CancelFunc
	// stalls is canceled by Instance.Shutdown: a graceful stop lets
	// bodies finish but does not wait out stalls.
	stalls       context.Context
	cancelStalls context.CancelFunc
	inflight     inflight // handlers running
}

// New validates cfg and returns a Server.
func New(cfg Config) (*Server, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	stalls, cancelStalls := context.WithCancel(ctx)
	return &Server{
		stalls:       stalls,
		cancelStalls: cancelStalls,
		cfg:          cfg,
		lim:          newLimiter(cfg.Limit, cfg.MaxConcurrent, cfg.Window),
		stats:        newStatsBook(),
		attempts:     make(map[string]uint64),
		ctx:          ctx,
		cancel:       cancel,
	}, nil
}

// Close ends the waits of answers in progress (latency, stalls) so that
// their handlers return soon; it does not close connections. Wait waits
// for the handlers.
func (s *Server) Close() { s.cancel() }

// Wait waits until no handler is running.
func (s *Server) Wait() { s.inflight.wait() }

// Stats returns a snapshot of what the server answered so far.
func (s *Server) Stats() Stats { return s.stats.snapshot() }

// Config returns the configuration in effect (defaults filled in).
func (s *Server) Config() Config { return s.cfg }

// BodyOptions returns the synth options of the body served for resource
// over [start, end) (zero times: synth's defaults): what a test needs to
// regenerate the exact bytes, their Size or their Truth.
func (s *Server) BodyOptions(resource string, start, end time.Time, unix bool) (synth.Options, error) {
	if err := validResource(resource); err != nil {
		return synth.Options{}, fmt.Errorf("mockapi: %w", err)
	}
	return synth.Options{
		Resource:       resource,
		Seed:           s.cfg.Seed,
		Updates:        s.updates(resource),
		Start:          start,
		End:            end,
		UnixTimestamps: unix,
	}, nil
}

// Truth returns the ground truth of resource's body over [start, end).
func (s *Server) Truth(resource string, start, end time.Time) (synth.Truth, error) {
	o, err := s.BodyOptions(resource, start, end, false)
	if err != nil {
		return synth.Truth{}, err
	}
	return o.Truth(), nil
}

// updates returns how many updates resource's body has.
func (s *Server) updates(resource string) int64 {
	ov := s.cfg.Overrides[resource]
	if ov.Updates > 0 {
		return ov.Updates
	}
	size := ov.Size
	if size == 0 {
		size = s.cfg.Sizes.draw(rand.New(rand.NewPCG(s.cfg.Seed, hashString(resource))))
	}
	return synth.UpdatesForSize(size)
}

func hashString(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return h.Sum64()
}

// requestRand returns the generator of one data request's fault and
// latency: a function of the fault seed, the resource and how many
// requests for it came before.
func (s *Server) requestRand(resource string) *rand.Rand {
	s.mu.Lock()
	n := s.attempts[resource]
	s.attempts[resource] = n + 1
	s.mu.Unlock()
	return rand.New(rand.NewPCG(s.cfg.Faults.Seed^hashString(resource), n))
}

// drawFault picks the request's fault: the resource's own first, then the
// global ones.
func (s *Server) drawFault(resource string, r *rand.Rand) Fault {
	if ov := s.cfg.Overrides[resource]; ov.Fault != FaultNone {
		if r.Float64() < ov.rate() {
			return ov.Fault
		}
	}
	return s.cfg.Faults.draw(r)
}

// ServeHTTP routes a request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.inflight.add(1)
	defer s.inflight.add(-1)
	switch {
	case r.URL.Path == "/truth":
		s.serveTruth(w, r)
	case r.URL.Path == "/stats":
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(s.Stats())
	case len(r.URL.Path) >= 6 && r.URL.Path[:6] == "/data/":
		s.serveData(w, r)
	default:
		writeError(w, s.cfg.Now(), http.StatusNotFound, fmt.Sprintf("Page not found: %s", r.URL.Path))
	}
}

// truthBody is the answer of /truth.
type truthBody struct {
	Resource string           `json:"resource"`
	Count    int64            `json:"count"`
	First    *int64           `json:"first"`
	Last     *int64           `json:"last"`
	PerHour  map[string]int64 `json:"per_hour"` // RFC 3339 UTC hour start → count
	Bytes    int64            `json:"bytes"`    // identity body length, compact
}

func (s *Server) serveTruth(w http.ResponseWriter, r *http.Request) {
	q, err := parseQuery(r.URL.Query())
	if err != nil {
		writeError(w, s.cfg.Now(), http.StatusBadRequest, err.Error())
		return
	}
	o, _ := s.BodyOptions(q.resource, q.start, q.end, q.unix)
	t := o.Truth()
	b := truthBody{Resource: q.resource, Count: t.Count, PerHour: make(map[string]int64, len(t.PerHour)), Bytes: o.Size()}
	if t.Count > 0 {
		b.First, b.Last = &t.First, &t.Last
	}
	for h, n := range t.PerHour {
		b.PerHour[time.Unix(h, 0).UTC().Format(time.RFC3339)] = n
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(b)
}

// setRateHeaders writes the X-RateLimit-* headers of a verdict.
func setRateHeaders(h http.Header, v verdict, limit int) {
	if !v.limited {
		return
	}
	h.Set("X-RateLimit-Limit", strconv.Itoa(limit))
	h.Set("X-RateLimit-Remaining", strconv.FormatInt(v.remaining, 10))
	h.Set("X-RateLimit-Reset", strconv.FormatInt(ceilUnix(v.reset), 10))
}

func ceilUnix(t time.Time) int64 {
	s := t.Unix()
	if t.Nanosecond() > 0 {
		s++
	}
	return s
}

// retryAfterUnits is the Retry-After of n units of Config.RetryAfter:
// whole seconds by default, decimal seconds for another unit.
func (s *Server) retryAfterUnits(n int) string {
	if s.cfg.RetryAfter == 0 {
		return strconv.Itoa(n)
	}
	return strconv.FormatFloat((time.Duration(n) * s.cfg.RetryAfter).Seconds(), 'f', -1, 64)
}

// retryAfter is the whole seconds until reset, at least 1.
func retryAfter(now, reset time.Time) int64 {
	d := reset.Sub(now)
	sec := int64((d + time.Second - 1) / time.Second)
	return max(sec, 1)
}

// inflight counts the handlers running. Not a sync.WaitGroup: a request
// may arrive while Close waits, and a WaitGroup's Add from zero must
// happen before its Wait (the race detector caught TestCloseEndsLatency
// doing that). A handler that starts once Wait has returned is not waited
// for; Close has cancelled its waits, so it ends at once.
type inflight struct {
	mu   sync.Mutex
	n    int
	idle chan struct{} // closed when n falls to 0; nil while n is 0
}

func (f *inflight) add(d int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.n == 0 {
		f.idle = make(chan struct{})
	}
	f.n += d
	if f.n == 0 {
		close(f.idle)
		f.idle = nil
	}
}

// wait returns once no handler runs.
func (f *inflight) wait() {
	f.mu.Lock()
	idle := f.idle
	f.mu.Unlock()
	if idle != nil {
		<-idle
	}
}
