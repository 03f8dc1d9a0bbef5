package batch

import (
	"fmt"
	"log/slog"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/sluicehq/sluice/store"
)

// Summary holds the figures of a finished (or interrupted) run.
type Summary struct {
	Nodes          int // nodes in the plan
	Batches        int // batches in the plan
	SkippedBatches int // batches already completed by an earlier run
	SkippedNodes   int // nodes in those batches
	Committed      int // batches committed by this run

	Processed int64 // nodes finished this run: OK + Dead
	OK        int64 // nodes fetched and aggregated
	Dead      int64 // nodes dead-lettered
	Dropped   int64 // finished nodes of a batch not committed because the run was interrupted
	Abandoned int64 // nodes whose fetch was cut off (or failed) after the interruption; the next run redoes them
	InFlight  int64 // nodes being fetched (live summaries of Options.Observe; 0 at the end)
	Retries   int64 // retried attempts (attempts beyond the first, summed)
	Bytes     int64 // body bytes extracted, of the nodes that succeeded

	// From the Fetcher's Stats (*scrape.Client; zero for one without).
	Requests  int64         // attempts sent, retries included
	ByStatus  map[int]int64 // responses by HTTP status; Requests minus their sum got none
	Status429 int64         // 429 answers
	Stalls    int64         // attempts abandoned for sending nothing
	WireBytes int64         // response body bytes read from the connection, error answers included (scrape.Stats.WireBytes)
	BodyBytes int64         // decoded bytes of 2xx bodies, every attempt
	Waited    time.Duration // time attempts waited to be sent (rate limit, server's gate), summed

	Start, End time.Time // of the run (End: when the figures were read)
	Elapsed    time.Duration
	// Node latency is fetch latency: a node's whole Fetch, retries and
	// back-off included, less the time it waited for the rate limiter.
	Mean    time.Duration // mean node latency
	P50     time.Duration // latency quantiles from a fixed histogram (±6%)
	P95     time.Duration
	Max     time.Duration
	PeakRSS int64 // bytes; 0 when unknown

	Interrupted bool // the run stopped before its last batch

	// DeadLetters is the number of dead letters in the run folder after
	// the run, earlier runs' included; set by Job.Run.
	DeadLetters int

	lat *latencyCounts // the latency histogram, for Merge; nil: none
}

// Merge is the summary of s and then next, two rounds run one after the
// other by one process with one Fetcher (the rounds of a coordinated
// run): the pipeline's counts add up; the Fetcher's counters (requests,
// statuses, 429s, bytes, waits) count from the Fetcher's start, so next's
// are kept (summed when the Fetcher has none); latency quantiles are
// those of both rounds' nodes together; skipped is what was done before
// s began; the span runs from s's start to next's end.
func (s Summary) Merge(next Summary) Summary {
	if s.Start.IsZero() {
		return next
	}
	if next.Start.IsZero() {
		return s
	}
	m := next
	m.SkippedBatches, m.SkippedNodes = s.SkippedBatches, s.SkippedNodes
	m.Committed += s.Committed
	m.Processed += s.Processed
	m.OK += s.OK
	m.Dead += s.Dead
	m.Dropped += s.Dropped
	m.Abandoned += s.Abandoned
	m.Bytes += s.Bytes
	if next.Requests == 0 && s.Requests == 0 { // no Fetcher counters: the pipeline's own retries
		m.Retries += s.Retries
	}
	m.Start, m.Elapsed = s.Start, next.End.Sub(s.Start)
	m.PeakRSS = max(s.PeakRSS, next.PeakRSS)
	h := merged(s.lat, next.lat)
	m.lat = h.snapshot()
	ls := h.stats()
	m.Mean, m.P50, m.P95, m.Max = ls.Mean, ls.P50, ls.P95, ls.Max
	return m
}

// Throughput is processed nodes per second of elapsed time.
func (s Summary) Throughput() float64 {
	if s.Elapsed <= 0 {
		return 0
	}
	return float64(s.Processed) / s.Elapsed.Seconds()
}

// Classes counts s.Requests by the class of their answer.
func (s Summary) Classes() store.RunRequests {
	c := store.RunRequests{Total: s.Requests}
	var answered int64
	for code, n := range s.ByStatus {
		answered += n
		switch code / 100 {
		case 2:
			c.Status2xx += n
		case 3:
			c.Status3xx += n
		case 4:
			c.Status4xx += n
		case 5:
			c.Status5xx += n
		}
	}
	c.NoResponse = max(s.Requests-answered, 0)
	return c
}

// Record is the summary as the manifest and --summary-json keep it, with
// the exit status the command ends with.
func (s Summary) Record(exitStatus int) store.RunSummary {
	rs := store.RunSummary{
		Start:           s.Start.UTC(),
		End:             s.End.UTC(),
		DurationSeconds: round3(s.Elapsed.Seconds()),
		Nodes: store.RunNodes{Planned: s.Nodes, OK: s.OK, Dead: s.Dead, Skipped: s.SkippedNodes,
			Dropped: s.Dropped, Aborted: s.Abandoned},
		Requests:       s.Classes(),
		Retries:        s.Retries,
		Status429:      s.Status429,
		WireBytes:      s.WireBytes,
		BodyBytes:      s.BodyBytes,
		ExtractedBytes: s.Bytes,
		WaitedSeconds:  round3(s.Waited.Seconds()),
		Latency:        store.RunLatency{Mean: round1(ms(s.Mean)), P50: round1(ms(s.P50)), P95: round1(ms(s.P95)), Max: round1(ms(s.Max))},
		PeakRSSBytes:   s.PeakRSS,
		ExitStatus:     exitStatus,
		Interrupted:    s.Interrupted,
	}
	if len(s.ByStatus) > 0 {
		rs.ByStatus = make(map[string]int64, len(s.ByStatus))
		for code, n := range s.ByStatus {
			rs.ByStatus[strconv.Itoa(code)] = n
		}
	}
	return rs
}

// Attrs are the summary as the attributes of one log record, every
// figure under a stable key; with --log-format json the record is one
// JSON object.
func (s Summary) Attrs() []slog.Attr {
	c := s.Classes()
	a := []slog.Attr{
		slog.Int("nodes", s.Nodes),
		slog.Int64("ok", s.OK),
		slog.Int64("dead", s.Dead),
		slog.Int("skipped", s.SkippedNodes),
		slog.Int64("requests", s.Requests),
		slog.Int64("status_2xx", c.Status2xx),
		slog.Int64("status_4xx", c.Status4xx),
		slog.Int64("status_5xx", c.Status5xx),
		slog.Int64("no_response", c.NoResponse),
		slog.Int64("status_429", s.Status429),
		slog.Int64("retries", s.Retries),
		slog.Float64("elapsed_s", round1(s.Elapsed.Seconds())),
		slog.Float64("nodes_per_s", round2(s.Throughput())),
		slog.Float64("fetch_p50_ms", round1(ms(s.P50))),
		slog.Float64("fetch_p95_ms", round1(ms(s.P95))),
		slog.Float64("fetch_max_ms", round1(ms(s.Max))),
		slog.Float64("waited_s", round1(s.Waited.Seconds())),
		slog.String("wire", HumanBytes(s.WireBytes)),
		slog.String("body", HumanBytes(s.BodyBytes)),
		slog.Int64("wire_bytes", s.WireBytes),
		slog.Int64("body_bytes", s.BodyBytes),
	}
	if s.PeakRSS > 0 {
		a = append(a, slog.String("peak_rss", HumanRSS(s.PeakRSS)))
	}
	if s.SkippedBatches > 0 {
		a = append(a, slog.Int("skipped_batches", s.SkippedBatches))
	}
	if s.Interrupted {
		a = append(a, slog.Bool("interrupted", true), slog.Int("batches_committed", s.Committed+s.SkippedBatches),
			slog.Int("batches", s.Batches), slog.Int64("dropped", s.Dropped), slog.Int64("abandoned", s.Abandoned))
	}
	return a
}

// String is the summary in a sentence or two, for people:
//
//	36 nodes in 11.4s (3.16 nodes/s): 34 ok, 2 dead; 41 requests, 5 retries, 1 429; 12.3 MB read
//	fetch latency p50 1.10s, p95 2.30s, max 2.50s; 0ms waited for the rate limit; peak RSS 45.0 MiB
func (s Summary) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s in %s (%.2f nodes/s): %d ok, %d dead; %s, %s, %s; %s read\n",
		Plural(s.Processed, "node"), humanDuration(s.Elapsed), s.Throughput(), s.OK, s.Dead,
		Plural(s.Requests, "request"), Plural(s.Retries, "retry", "retries"), Plural(s.Status429, "429", "429s"), HumanBytes(s.WireBytes))
	fmt.Fprintf(&b, "fetch latency p50 %s, p95 %s, max %s; %s waited for the rate limit",
		humanDuration(s.P50), humanDuration(s.P95), humanDuration(s.Max), humanDuration(s.Waited))
	if s.PeakRSS > 0 {
		fmt.Fprintf(&b, "; peak RSS %s", HumanRSS(s.PeakRSS))
	}
	b.WriteByte('\n')
	if s.SkippedBatches > 0 {
		fmt.Fprintf(&b, "%d of %d batches (%s) already done by an earlier run\n", s.SkippedBatches, s.Batches, Plural(int64(s.SkippedNodes), "node"))
	}
	if s.Interrupted {
		fmt.Fprintf(&b, "interrupted: %d of %d batches committed, %d finished nodes of unfinished batches dropped, %d in-flight nodes abandoned; run again to resume\n",
			s.Committed+s.SkippedBatches, s.Batches, s.Dropped, s.Abandoned)
	}
	return b.String()
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
func round3(f float64) float64   { return math.Round(f*1000) / 1000 }
