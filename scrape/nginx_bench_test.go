package scrape_test

import (
	"context"
	"fmt"
	"os"
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
// nodes (SLUICE_NGINX_NODES); the metrics are the share of the limit achieved over the run
// (ok answers per second / limit), the share of requests answered 429,
// the dead letters, and the request rate over the second 2–3 s after the
// first 429, as a share of the limit.
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
					var share, refused, dead, settled float64
					for range b.N {
						// a fresh bucket: wait out the previous run's burst
						time.Sleep(time.Second)
						s := runNginx(b, srv.URL, nodes, truth, start.rate, workers)
						share += s.share / float64(b.N)
						refused += s.refused / float64(b.N)
						dead += float64(s.dead) / float64(b.N)
						settled += s.settled / float64(b.N)
					}
					b.ReportMetric(100*share, "%limit")
					b.ReportMetric(100*refused, "%429")
					b.ReportMetric(dead, "dead")
					b.ReportMetric(100*settled, "%limit@2s")
				})
			}
		}
	}
}

type nginxRun struct {
	share, refused, settled float64
	dead                    int
}

// runNginx fetches nodes and measures one run.
func runNginx(b *testing.B, url string, nodes []string, truth map[string]int64, rate float64, workers int) nginxRun {
	c, err := scrape.New(scrape.Options{URL: url + "/data/{node}.json", Rate: rate, Concurrency: workers,
		StallTimeout: 10 * time.Second, MaxAttempts: 5})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	var mu sync.Mutex
	var sends []time.Time // request instants, from Stats deltas sampled per answer
	var first429 time.Time
	var last int64
	var last429 int64
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
				st := c.Stats()
				now := time.Now()
				for ; last < st.Requests; last++ {
					sends = append(sends, now)
				}
				if st.Status429 > last429 && first429.IsZero() {
					first429 = now
				}
				last429 = st.Status429
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
	if !first429.IsZero() {
		n := 0
		for _, s := range sends {
			if d := s.Sub(first429); d >= 2*time.Second && d < 3*time.Second {
				n++
			}
		}
		r.settled = float64(n) / 100
	}
	return r
}
