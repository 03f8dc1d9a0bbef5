package measure

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"
)

// ScrapeConfig is what `sluice bench scrape` measures: the whole pipeline
// (scrape.Client, batch runner, store) against the mock API on loopback,
// once per concurrency.
type ScrapeConfig struct {
	Nodes int    `json:"nodes"`
	Seed  uint64 `json:"seed"`
	// Sizes and Latency are mockapi specs (mockapi.ParseSizeDist,
	// mockapi.ParseLatency): the body size distribution and the time to
	// first byte.
	Sizes   string `json:"sizes"`
	Latency string `json:"latency"`
	// Limit requests per Window is the server's rate limit for the
	// client; MaxConcurrent (0: none) its cap on open requests.
	Limit         int           `json:"limit"`
	Window        time.Duration `json:"window_ns"`
	MaxConcurrent int           `json:"max_concurrent"`
	// Concurrency lists the pool sizes to measure, one run each.
	Concurrency []int `json:"concurrency"`
	// Rate is the client's starting rate (requests/s; 0: none until the
	// first 429) and Burst its token bucket.
	Rate  float64 `json:"rate"`
	Burst int     `json:"burst"`
	// Mode is the extraction mode of the pipeline.
	Mode        Kind `json:"mode"`
	BatchSize   int  `json:"batch_size"`
	MaxAttempts int  `json:"max_attempts"`
	// Reps is the number of runs per concurrency; zero means 1.
	Reps int `json:"reps"`
	// Server is what answers: "" or ServerMock (the mock's fixed
	// windows, with X-RateLimit-* headers), or ServerNginx (a real nginx
	// limit_req: GCRA at Limit per Window (whole requests per second),
	// burst ServerBurst, no rate headers; Retry-After when RetryAfter is
	// set) serving the mock's bodies as static files.
	Server      string `json:"server,omitempty"`
	ServerBurst int    `json:"server_burst,omitempty"`
	RetryAfter  string `json:"retry_after,omitempty"`
}

// The servers of ScrapeConfig.Server.
const (
	ServerMock  = "mock"
	ServerNginx = "nginx"
)

// TimelineBin is the width of ScrapeSample.Sent's bins.
const TimelineBin = 100 * time.Millisecond

// LimitPerSecond is the server's limit in requests per second.
func (c ScrapeConfig) LimitPerSecond() float64 {
	if c.Limit <= 0 || c.Window <= 0 {
		return 0
	}
	return float64(c.Limit) / c.Window.Seconds()
}

func (c ScrapeConfig) check() error {
	switch {
	case c.Nodes < 1:
		return fmt.Errorf("measure: %d nodes: want at least 1", c.Nodes)
	case len(c.Concurrency) == 0:
		return errors.New("measure: no concurrency to measure")
	case c.Limit < 0 || c.Window < 0 || c.MaxConcurrent < 0 || c.Rate < 0 || c.Burst < 0 || c.BatchSize < 0 || c.MaxAttempts < 0 || c.Reps < 0:
		return errors.New("measure: negative limit, window, rate, burst, batch size, attempts or reps")
	}
	switch c.Server {
	case "", ServerMock:
	case ServerNginx:
		if lps := c.LimitPerSecond(); lps < 1 || lps != float64(int(lps)) {
			return fmt.Errorf("measure: nginx's limit_req counts whole requests per second: %d per %v is not", c.Limit, c.Window)
		}
	default:
		return fmt.Errorf("measure: server %q: want %s or %s", c.Server, ServerMock, ServerNginx)
	}
	for _, n := range c.Concurrency {
		if n < 1 {
			return fmt.Errorf("measure: concurrency %d: want at least 1", n)
		}
	}
	if c.Mode != "" && !c.Mode.IsMode() {
		return fmt.Errorf("measure: %q is not an extraction mode", c.Mode)
	}
	return nil
}

// ScrapeSpec is one scrape measurement, sent by the parent to a child.
type ScrapeSpec struct {
	ScrapeConfig
	// Concurrency is this run's pool size (ScrapeConfig.Concurrency is
	// ignored by the child).
	Workers int `json:"workers"`
}

// ScrapeSample is a child's answer to a ScrapeSpec.
type ScrapeSample struct {
	Workers int `json:"workers"`
	// What the pipeline did: nodes stored and dead-lettered, body bytes,
	// node latency quantiles (retries included) and its wall time.
	OK           int64 `json:"ok"`
	Dead         int64 `json:"dead"`
	BodyBytes    int64 `json:"body_bytes"`
	WireBytes    int64 `json:"wire_bytes"`
	ElapsedNanos int64 `json:"elapsed_ns"`
	// StartUnixNano and EndUnixNano bracket the run on the wall clock,
	// to count the server's rate-limit windows it touched.
	StartUnixNano int64 `json:"start_unix_ns"`
	EndUnixNano   int64 `json:"end_unix_ns"`
	P50Nanos      int64 `json:"p50_ns"`
	P95Nanos      int64 `json:"p95_ns"`
	// What the client counted.
	Requests  int64   `json:"requests"`
	Retries   int64   `json:"retries"`
	Status429 int64   `json:"status_429"`
	Status5xx int64   `json:"status_5xx"`
	FinalRate float64 `json:"final_rate"` // the client's rate limit at the end; 0: none
	// What the server counted for this client.
	ServerRequests    int64 `json:"server_requests"`
	ServerStatus429   int64 `json:"server_status_429"`
	ServerMaxInWindow int64 `json:"server_max_in_window"`
	ServerMaxOpen     int64 `json:"server_max_open"`
	// The check against the mock's ground truth: nodes whose record
	// differs from it, is missing or appears twice (the first few named).
	MismatchCount int      `json:"mismatch_count"`
	Mismatches    []string `json:"mismatches,omitempty"`
	// HWMBytes is the child's peak RSS (the mock server included).
	HWMBytes int64 `json:"hwm_bytes"`
	// Sent and Refused count the requests sent in each TimelineBin from
	// the run's start, and of them those answered 429; First429Nanos is
	// when the first 429's request was sent (-1: none).
	Sent          []int32 `json:"sent,omitempty"`
	Refused       []int32 `json:"refused,omitempty"`
	First429Nanos int64   `json:"first_429_ns"`
}

// ScrapeResult is everything `sluice bench scrape` measured.
type ScrapeResult struct {
	Config ScrapeConfig  `json:"config"`
	Points []ScrapePoint `json:"points"`
	// Agreement says whether every run stored exactly the mock's truth.
	Agreement Agreement `json:"agreement"`
}

// ScrapePoint is one concurrency, measured Reps times.
type ScrapePoint struct {
	Concurrency int         `json:"concurrency"`
	Reps        []ScrapeRep `json:"reps"`
	// Medians over Reps, and the largest peak RSS.
	AdmittedPerSec  float64 `json:"admitted_per_sec"`
	FractionOfLimit float64 `json:"fraction_of_limit"` // see ScrapeRep; 0 when the server has no limit
	NodesPerSec     float64 `json:"nodes_per_sec"`
	MBps            float64 `json:"mbps"`
	P50Millis       float64 `json:"p50_ms"`
	P95Millis       float64 `json:"p95_ms"`
	Status429       float64 `json:"status_429"`
	Retries         float64 `json:"retries"`
	PeakRSSBytes    int64   `json:"peak_rss_bytes"`
	Error           string  `json:"error,omitempty"`
}

// ScrapeRep is one child's figures with the rates derived from them.
type ScrapeRep struct {
	ScrapeSample
	Usage
	// RequestsPerSec counts every request the server saw, refused ones
	// included; AdmittedPerSec only those it did not answer 429.
	RequestsPerSec float64 `json:"requests_per_sec"`
	AdmittedPerSec float64 `json:"admitted_per_sec"`
	// Admissible is the most the server would have admitted in the
	// fixed windows the run touched (Limit per window, the partial first
	// and last included), and FractionOfLimit is admitted / Admissible.
	// Over a run of a few windows, admitted per second can exceed the
	// nominal limit, by up to a window's worth at each edge; the fraction
	// cannot exceed 1.
	Admissible      int64   `json:"admissible"`
	FractionOfLimit float64 `json:"fraction_of_limit"`
	NodesPerSec     float64 `json:"nodes_per_sec"`
	MBps            float64 `json:"mbps"`
	PeakRSSBytes    int64   `json:"peak_rss_bytes"`
}

// ScrapeProgress hears about each child as it finishes.
type ScrapeProgress func(done, total int, p *ScrapePoint, rep *ScrapeRep, err error)

// RunScrape measures cfg, one child at a time through l. It returns the
// result with ErrDisagree when a run's output differs from the mock's
// truth or a child failed, and stops early only when ctx is done.
func RunScrape(ctx context.Context, cfg ScrapeConfig, l Launcher, progress ScrapeProgress) (*ScrapeResult, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	res := &ScrapeResult{Config: cfg}
	for _, c := range cfg.Concurrency {
		res.Points = append(res.Points, ScrapePoint{Concurrency: c})
	}
	reps := max(cfg.Reps, 1)
	total, done := reps*len(res.Points), 0
	for range reps {
		for i := range res.Points {
			p := &res.Points[i]
			done++
			if p.Error != "" {
				continue
			}
			spec := ScrapeSpec{ScrapeConfig: cfg, Workers: p.Concurrency}
			spec.Concurrency = nil
			resp, u, err := l.Launch(ctx, Request{Scrape: &spec})
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			if err == nil && resp.Scrape == nil {
				err = errors.New("child process: no scrape sample in the answer")
			}
			if err != nil {
				p.Error = err.Error()
				if progress != nil {
					progress(done, total, p, nil, err)
				}
				continue
			}
			p.Reps = append(p.Reps, newScrapeRep(*resp.Scrape, u, cfg))
			if progress != nil {
				progress(done, total, p, &p.Reps[len(p.Reps)-1], nil)
			}
		}
	}
	res.Summarize()
	if !res.Agreement.OK {
		return res, fmt.Errorf("%w: %s", ErrDisagree, res.Agreement.Problems[0])
	}
	return res, nil
}

func newScrapeRep(s ScrapeSample, u Usage, cfg ScrapeConfig) ScrapeRep {
	r := ScrapeRep{ScrapeSample: s, Usage: u, PeakRSSBytes: s.HWMBytes}
	if r.PeakRSSBytes == 0 {
		r.PeakRSSBytes = u.MaxRSSBytes
	}
	if s.ElapsedNanos > 0 {
		secs := float64(s.ElapsedNanos) / 1e9
		r.RequestsPerSec = float64(s.ServerRequests) / secs
		r.AdmittedPerSec = float64(s.ServerRequests-s.ServerStatus429) / secs
		r.NodesPerSec = float64(s.OK+s.Dead) / secs
		r.MBps = mbps(s.BodyBytes, s.ElapsedNanos)
	}
	if cfg.Server == ServerNginx && s.ElapsedNanos > 0 {
		// GCRA: R per second over the run, plus the burst a full
		// bucket admits at once.
		r.Admissible = int64(math.Ceil(cfg.LimitPerSecond()*float64(s.ElapsedNanos)/1e9)) + int64(cfg.ServerBurst) + 1
		r.FractionOfLimit = float64(s.ServerRequests-s.ServerStatus429) / float64(r.Admissible)
	} else if cfg.Limit > 0 && cfg.Window > 0 && s.EndUnixNano >= s.StartUnixNano {
		// The mock's windows start at multiples of Window since the epoch.
		w := int64(cfg.Window)
		windows := s.EndUnixNano/w - s.StartUnixNano/w + 1
		r.Admissible = windows * int64(cfg.Limit)
		r.FractionOfLimit = float64(s.ServerRequests-s.ServerStatus429) / float64(r.Admissible)
	}
	return r
}

// Summarize computes each point's medians from its reps and the
// agreement. RunScrape calls it; a reader of bench.json can call it to
// check the figures.
func (res *ScrapeResult) Summarize() {
	ag := Agreement{OK: true}
	for i := range res.Points {
		p := &res.Points[i]
		p.summarize()
		name := fmt.Sprintf("scrape at concurrency %d", p.Concurrency)
		switch {
		case p.Error != "":
			ag.Problems = append(ag.Problems, fmt.Sprintf("%s failed: %s", name, p.Error))
		case len(p.Reps) == 0:
			ag.Problems = append(ag.Problems, name+": no measurement")
		}
		for j, r := range p.Reps {
			if r.MismatchCount > 0 {
				ag.Problems = append(ag.Problems, fmt.Sprintf("%s, rep %d: %d nodes differ from the mock's truth, e.g. %s",
					name, j+1, r.MismatchCount, firstOr(r.Mismatches, "?")))
			}
		}
	}
	ag.OK = len(ag.Problems) == 0
	res.Agreement = ag
}

func firstOr(xs []string, def string) string {
	if len(xs) == 0 {
		return def
	}
	return xs[0]
}

func (p *ScrapePoint) summarize() {
	if len(p.Reps) == 0 {
		return
	}
	med := func(f func(ScrapeRep) float64) float64 { return MedianOf(p.Reps, f) }
	p.AdmittedPerSec = med(func(r ScrapeRep) float64 { return r.AdmittedPerSec })
	p.FractionOfLimit = med(func(r ScrapeRep) float64 { return r.FractionOfLimit })
	p.NodesPerSec = med(func(r ScrapeRep) float64 { return r.NodesPerSec })
	p.MBps = med(func(r ScrapeRep) float64 { return r.MBps })
	p.P50Millis = med(func(r ScrapeRep) float64 { return float64(r.P50Nanos) / 1e6 })
	p.P95Millis = med(func(r ScrapeRep) float64 { return float64(r.P95Nanos) / 1e6 })
	p.Status429 = med(func(r ScrapeRep) float64 { return float64(r.ServerStatus429) })
	p.Retries = med(func(r ScrapeRep) float64 { return float64(r.Retries) })
	p.PeakRSSBytes = 0
	for _, r := range p.Reps {
		p.PeakRSSBytes = max(p.PeakRSSBytes, r.PeakRSSBytes)
	}
}
