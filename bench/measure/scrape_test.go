package measure

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func tinyScrapeConfig() ScrapeConfig {
	return ScrapeConfig{
		Nodes: 30, Seed: 5, Sizes: "uniform:2KiB:64KiB", Latency: "fixed:2ms",
		Limit: 20, Window: 200 * time.Millisecond, // 100 requests/s
		Concurrency: []int{1, 8}, BatchSize: 16,
	}
}

func TestRunScrapeMatchesTruth(t *testing.T) {
	cfg := tinyScrapeConfig()
	calls := 0
	res, err := RunScrape(context.Background(), cfg, testLauncher(), func(done, total int, p *ScrapePoint, rep *ScrapeRep, err error) {
		calls++
		if err != nil {
			t.Errorf("concurrency %d: %v", p.Concurrency, err)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if calls != 2 || len(res.Points) != 2 {
		t.Fatalf("%d progress calls, %d points", calls, len(res.Points))
	}
	for _, p := range res.Points {
		if len(p.Reps) != 1 {
			t.Fatalf("concurrency %d: %d reps", p.Concurrency, len(p.Reps))
		}
		r := p.Reps[0]
		if r.Workers != p.Concurrency || r.OK+r.Dead != int64(cfg.Nodes) || r.MismatchCount != 0 {
			t.Errorf("concurrency %d: workers %d, ok %d + dead %d, %d mismatches", p.Concurrency, r.Workers, r.OK, r.Dead, r.MismatchCount)
		}
		// The server counts at least one request per node, and the
		// client's figures match the server's.
		if r.ServerRequests < int64(cfg.Nodes) || r.ServerRequests != r.Requests || r.ServerStatus429 != r.Status429 {
			t.Errorf("concurrency %d: server saw %d requests (%d 429s), client sent %d (%d 429s)",
				p.Concurrency, r.ServerRequests, r.ServerStatus429, r.Requests, r.Status429)
		}
		if r.ServerMaxInWindow > int64(cfg.Limit) || r.BodyBytes <= 0 || r.PeakRSSBytes <= 0 {
			t.Errorf("concurrency %d: %d admitted in one window (limit %d), %d body bytes, RSS %d",
				p.Concurrency, r.ServerMaxInWindow, cfg.Limit, r.BodyBytes, r.PeakRSSBytes)
		}
		// The run touched at least ⌈elapsed/window⌉ windows, and the
		// server cannot admit more than Limit in each.
		w := int64(cfg.Window)
		windows := r.EndUnixNano/w - r.StartUnixNano/w + 1
		want := float64(r.ServerRequests-r.ServerStatus429) / float64(windows*int64(cfg.Limit))
		if r.Admissible != windows*int64(cfg.Limit) || p.FractionOfLimit != want || want <= 0 || want > 1 ||
			windows < (r.ElapsedNanos+w-1)/w {
			t.Errorf("concurrency %d: %d windows, admissible %d, fraction %v, figures say %v", p.Concurrency, windows, r.Admissible, p.FractionOfLimit, want)
		}
	}
}

// dishonestLauncher reports a mismatch in every scrape answer.
type dishonestLauncher struct{ Launcher }

func (l dishonestLauncher) Launch(ctx context.Context, req Request) (Response, Usage, error) {
	resp, u, err := l.Launcher.Launch(ctx, req)
	if err == nil {
		resp.Scrape.MismatchCount, resp.Scrape.Mismatches = 1, []string{"node AS1: count 1, truth 2"}
	}
	return resp, u, err
}

func TestRunScrapeReportsMismatch(t *testing.T) {
	cfg := tinyScrapeConfig()
	cfg.Nodes, cfg.Concurrency = 5, []int{4}
	res, err := RunScrape(context.Background(), cfg, dishonestLauncher{testLauncher()}, nil)
	if !errors.Is(err, ErrDisagree) || res.Agreement.OK || !strings.Contains(res.Agreement.Problems[0], "1 nodes differ from the mock's truth") {
		t.Fatalf("err %v, agreement %+v", err, res.Agreement)
	}
}
