package store

import (
	"fmt"
	"slices"
	"time"
)

// maxRuns is how many run summaries the manifest keeps, newest last: a
// month of daily runs, resumes and retries included.
const maxRuns = 30

// RunSummary is the outcome of one run (or resume, or --retry-dead) on a
// folder, as the manifest keeps it and --summary-json writes it. Latency
// is fetch latency: the time nodes waited for the rate limiter is
// WaitedSeconds, apart.
type RunSummary struct {
	Start           time.Time        `json:"start"`
	End             time.Time        `json:"end"`
	DurationSeconds float64          `json:"duration_seconds"`
	Nodes           RunNodes         `json:"nodes"`
	Requests        RunRequests      `json:"requests"`
	Retries         int64            `json:"retries"`
	Status429       int64            `json:"status_429"`
	WireBytes       int64            `json:"wire_bytes"`      // response body bytes read from the connection (before Content-Encoding is decoded), error answers included
	BodyBytes       int64            `json:"body_bytes"`      // decoded bytes of 2xx bodies, every attempt
	ExtractedBytes  int64            `json:"extracted_bytes"` // decoded bytes of the bodies kept
	WaitedSeconds   float64          `json:"waited_seconds"`  // attempts waiting to be sent (rate limit, server's gate), summed
	Latency         RunLatency       `json:"fetch_latency_ms"`
	PeakRSSBytes    int64            `json:"peak_rss_bytes"` // 0 when unknown
	ExitStatus      int              `json:"exit_status"`
	Interrupted     bool             `json:"interrupted,omitempty"`
	ByStatus        map[string]int64 `json:"requests_by_status,omitempty"` // HTTP status code -> responses
}

// RunNodes counts the nodes of a run by what became of them.
type RunNodes struct {
	Planned int   `json:"planned"` // in this run's plan (or dead letters retried)
	OK      int64 `json:"ok"`
	Dead    int64 `json:"dead"`
	Skipped int   `json:"skipped"`   // in batches an earlier run completed
	Dropped int64 `json:"dropped"`   // finished, in a batch an interruption left uncommitted
	Aborted int64 `json:"abandoned"` // cut off by an interruption
}

// RunRequests counts attempts sent, by the class of their answer.
type RunRequests struct {
	Total      int64 `json:"total"`
	Status2xx  int64 `json:"2xx"`
	Status3xx  int64 `json:"3xx"`
	Status4xx  int64 `json:"4xx"`
	Status5xx  int64 `json:"5xx"`
	NoResponse int64 `json:"no_response"` // connection errors, timeouts before headers
}

// RunLatency is fetch latency in milliseconds.
type RunLatency struct {
	Mean float64 `json:"mean"`
	P50  float64 `json:"p50"`
	P95  float64 `json:"p95"`
	Max  float64 `json:"max"`
}

// RecordRun adds s to the manifest's runs (keeping the newest maxRuns),
// committed like a batch. It is safe for concurrent use.
func (r *Run) RecordRun(s RunSummary) error {
	if err := r.recordRun(s); err != nil {
		return fmt.Errorf("store: record run in %s: %w", r.dir, err)
	}
	return nil
}

func (r *Run) recordRun(s RunSummary) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.usable(); err != nil {
		return err
	}
	s.Start, s.End = s.Start.UTC(), s.End.UTC()
	t := &txn{man: r.man.clone()}
	t.man.Runs = append(t.man.Runs, s)
	if n := len(t.man.Runs); n > maxRuns {
		t.man.Runs = slices.Delete(t.man.Runs, 0, n-maxRuns)
	}
	return r.apply(t)
}

// Runs returns the run summaries the manifest keeps, oldest first.
func (r *Run) Runs() []RunSummary {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.man.Runs)
}
