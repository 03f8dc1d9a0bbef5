package scrape_test

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/sluicehq/sluice/bench/nginxtest"
	"github.com/sluicehq/sluice/scrape"
)

// BenchmarkNginxLimit measures the client against a real nginx limit_req
// (GCRA, 100/s, burst 10, no rate headers; and with Retry-After: 1) at 8
// and 32 workers, started at 3× the limit, with no rate, and, as the
// same-run reference, told the true limit. Each iteration fetches 600
// nodes without headers and 3000 with Retry-After (SLUICE_NGINX_NODES
// sets both). The metrics: the share of the limit achieved over the run
// (admitted answers per second / limit), the share of requests answered
// 429, the dead letters, and the request rate after the first 429 (see
// settle).
//
// SLUICE_NGINX_TRACE=1 logs the client's rate changes and pauses (Info)
// to stderr.
func BenchmarkNginxLimit(b *testing.B) {
	const limit = 100
	// 6 s of work without headers; 30 s with Retry-After, where the one
	// pause the first 429 forces costs a second (3 % of such a run).
	// SLUICE_NGINX_NODES sets both.
	nodesN := map[string]int{"": 600, "1": 3000}
	if v, err := strconv.Atoi(os.Getenv("SLUICE_NGINX_NODES")); err == nil && v > 0 {
		nodesN = map[string]int{"": v, "1": v}
	}
	for _, ra := range []string{"", "1"} {
		files, truth, nodes := nginxBodies(nodesN[ra], 40)
		srv := nginxtest.Start(b, nginxtest.Config{Rate: limit, Burst: 10, RetryAfter: ra, Files: files})
		for _, start := range []struct {
			name string
			rate float64
		}{{"told", limit}, {"3x", 3 * limit}, {"none", 0}} {
			for _, workers := range []int{8, 32} {
				b.Run(fmt.Sprintf("retry-after=%s/start=%s/workers=%d", ra, start.name, workers), func(b *testing.B) {
					var share, refused, dead, lo, hi float64
					for range b.N {
						// a fresh bucket: wait out the previous run's burst
						time.Sleep(time.Second)
						s := runNginx(b, srv.URL, nodes, truth, start.rate, workers)
						share += s.share / float64(b.N)
						refused += s.refused / float64(b.N)
						dead += float64(s.dead) / float64(b.N)
						lo += s.lo / float64(b.N)
						hi += s.hi / float64(b.N)
					}
					b.ReportMetric(100*share, "%limit")
					b.ReportMetric(100*refused, "%429")
					b.ReportMetric(dead, "dead")
					b.ReportMetric(100*lo, "%limit@2s-lo")
					b.ReportMetric(100*hi, "%limit@2s-hi")
				})
			}
		}
	}
}

type nginxRun struct {
	share, refused float64
	lo, hi         float64 // settle's lowest and highest second, as a share of the limit
	dead           int
}

// sendLog records every request the client puts on the wire: its instant
// (when the transport is called) and whether nginx refused it.
type sendLog struct {
	mu    sync.Mutex
	sends []sent
	next  http.RoundTripper
}

type sent struct {
	at      time.Time
	refused bool
}

func (l *sendLog) RoundTrip(req *http.Request) (*http.Response, error) {
	at := time.Now()
	resp, err := l.next.RoundTrip(req)
	l.mu.Lock()
	l.sends = append(l.sends, sent{at: at, refused: err == nil && resp.StatusCode == http.StatusTooManyRequests})
	l.mu.Unlock()
	return resp, err
}

// settle is issue 9's "within 2 s of the first 429 the request rate stays
// between 85 % and 105 % of the limit", measured: the requests sent
// (refused ones included: a refusal is a request the client should not
// have sent) in each whole second from 2 s after the first refused
// request was sent, [f+2 s, f+3 s), [f+3 s, f+4 s), …, up to the last
// second that ends before the run's last request (after it the workers
// run out of nodes), as shares of the limit: the lowest and the highest
// second. nginx's burst is not taken out: a second after a lull (a pause,
// a cut below the limit) may be admitted R + B, 110 % at 100/s, burst 10,
// without a single refusal. No 429, or a run too short for one whole
// second: both 0.
func settle(sends []sent, limit float64) (lo, hi float64) {
	slices.SortFunc(sends, func(a, b sent) int { return a.at.Compare(b.at) })
	i := slices.IndexFunc(sends, func(s sent) bool { return s.refused })
	if i < 0 {
		return 0, 0
	}
	f, end := sends[i].at, sends[len(sends)-1].at
	lo = math.Inf(1)
	for w := f.Add(2 * time.Second); !w.Add(time.Second).After(end); w = w.Add(time.Second) {
		n := 0
		for _, s := range sends[i:] {
			if !s.at.Before(w) && s.at.Before(w.Add(time.Second)) {
				n++
			}
		}
		lo, hi = min(lo, float64(n)/limit), max(hi, float64(n)/limit)
	}
	if math.IsInf(lo, 1) {
		return 0, 0
	}
	return lo, hi
}

// runNginx fetches nodes and measures one run.
func runNginx(b *testing.B, url string, nodes []string, truth map[string]int64, rate float64, workers int) nginxRun {
	log := &sendLog{}
	logger := slog.New(slog.DiscardHandler)
	if os.Getenv("SLUICE_NGINX_TRACE") != "" {
		logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
		logger.Info("run", "rate", rate, "workers", workers)
	}
	c, err := scrape.New(scrape.Options{URL: url + "/data/{node}.json", Rate: rate, Concurrency: workers,
		StallTimeout: 10 * time.Second, MaxAttempts: 5, Logger: logger,
		WrapTransport: func(rt http.RoundTripper) http.RoundTripper { log.next = rt; return log }})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	var mu sync.Mutex
	next := make(chan string)
	var wg sync.WaitGroup
	dead := 0
	start := time.Now()
	for range workers {
		cnt := newCounter(b)
		wg.Go(func() {
			for node := range next {
				_, err := c.Fetch(context.Background(), node, cnt.consume)
				mu.Lock()
				if err != nil {
					dead++
				} else if cnt.tally.Count != truth[node] {
					b.Errorf("node %s: count %d, truth %d", node, cnt.tally.Count, truth[node])
				}
				mu.Unlock()
			}
		})
	}
	for _, n := range nodes {
		next <- n
	}
	close(next)
	wg.Wait()
	el := time.Since(start).Seconds()
	st := c.Stats()
	r := nginxRun{dead: dead}
	ok := float64(st.Requests - st.Status429)
	r.share = ok / el / 100
	r.refused = float64(st.Status429) / float64(st.Requests)
	log.mu.Lock()
	r.lo, r.hi = settle(log.sends, 100)
	log.mu.Unlock()
	return r
}

// TestSettle: settle counts the requests sent in each whole second from
// 2 s after the first refused one to the last second that ends before the
// run's last request, refusals included.
func TestSettle(t *testing.T) {
	t0 := time.Unix(1795953600, 0)
	var sends []sent
	add := func(from, to time.Duration, every time.Duration, refused bool) {
		for d := from; d < to; d += every {
			sends = append(sends, sent{at: t0.Add(d), refused: refused})
		}
	}
	add(0, 500*time.Millisecond, 10*time.Millisecond, false)                        // 100/s
	add(500*time.Millisecond, 501*time.Millisecond, time.Millisecond, true)         // the first 429, at 0.5 s
	add(501*time.Millisecond, 2500*time.Millisecond, 5*time.Millisecond, false)     // 200/s, before the band
	add(2500*time.Millisecond, 3500*time.Millisecond, 10*time.Millisecond, false)   // 100/s
	add(3500*time.Millisecond, 4500*time.Millisecond, 12500*time.Microsecond, true) // 80/s, refused or not
	add(4500*time.Millisecond, 5200*time.Millisecond, 5*time.Millisecond, false)    // a partial second: left out
	slices.Reverse(sends)                                                           // any order
	lo, hi := settle(sends, 100)
	if lo != 0.8 || hi != 1 {
		t.Errorf("settle = %v, %v; want 0.8, 1", lo, hi)
	}
	if lo, hi := settle(sends[:10], 100); lo != 0 || hi != 0 {
		t.Errorf("without a 429: %v, %v; want 0, 0", lo, hi)
	}
}
