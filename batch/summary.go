package batch

import (
	"fmt"
	"strings"
	"time"
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
	Retries   int64 // retried attempts (attempts beyond the first, summed)
	Status429 int64 // 429 answers, when the Fetcher reports them (Stats)
	Bytes     int64 // body bytes extracted

	Elapsed time.Duration
	Mean    time.Duration // mean node latency
	P50     time.Duration // latency quantiles from a fixed histogram (±6%)
	P95     time.Duration
	Max     time.Duration
	PeakRSS int64 // bytes; 0 when unknown

	Interrupted bool // the run stopped before its last batch

	// DeadLetters is the number of dead letters in the run folder after
	// the run, earlier runs' included; set by Job.Run.
	DeadLetters int
}

// Throughput is processed nodes per second of elapsed time.
func (s Summary) Throughput() float64 {
	if s.Elapsed <= 0 {
		return 0
	}
	return float64(s.Processed) / s.Elapsed.Seconds()
}

// String prints the summary as the seeds did, then the figures they did
// not have:
//
//	[36] requests processed in [11.4] seconds with average time [1164.0] ms, total throughput: [3.14] rps
//	latency p50 [1100.0] ms, p95 [2300.0] ms, max [2500.0] ms
//	[34] ok, [2] dead letters, [5] retries, [1] 429s, [12.3] MB read, peak RSS [45.1] MiB
func (s Summary) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "[%d] requests processed in [%.1f] seconds with average time [%.1f] ms, total throughput: [%.2f] rps\n",
		s.Processed, s.Elapsed.Seconds(), ms(s.Mean), s.Throughput())
	fmt.Fprintf(&b, "latency p50 [%.1f] ms, p95 [%.1f] ms, max [%.1f] ms\n", ms(s.P50), ms(s.P95), ms(s.Max))
	fmt.Fprintf(&b, "[%d] ok, [%d] dead letters, [%d] retries, [%d] 429s, [%.1f] MB read, peak RSS [%.1f] MiB\n",
		s.OK, s.Dead, s.Retries, s.Status429, float64(s.Bytes)/1e6, float64(s.PeakRSS)/(1<<20))
	if s.SkippedBatches > 0 {
		fmt.Fprintf(&b, "[%d] of [%d] batches ([%d] nodes) already done by an earlier run\n", s.SkippedBatches, s.Batches, s.SkippedNodes)
	}
	if s.Interrupted {
		fmt.Fprintf(&b, "interrupted: [%d] of [%d] batches committed, [%d] finished nodes of unfinished batches dropped, [%d] in-flight nodes abandoned; run again to resume\n",
			s.Committed+s.SkippedBatches, s.Batches, s.Dropped, s.Abandoned)
	}
	return b.String()
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
