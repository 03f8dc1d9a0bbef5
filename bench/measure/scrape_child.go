package measure

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/sluicehq/sluice/batch"
	"github.com/sluicehq/sluice/bench/mockapi"
	"github.com/sluicehq/sluice/bench/nginxtest"
	"github.com/sluicehq/sluice/bench/synth"
	"github.com/sluicehq/sluice/extract"
	"github.com/sluicehq/sluice/scrape"
	"github.com/sluicehq/sluice/store"
)

// The query of every scrape run: one day, as the daily job asks, and the
// sourceapp the mock counts the client by.
var (
	scrapeStart = time.Date(2022, 9, 12, 0, 0, 0, 0, time.UTC)
	scrapeEnd   = scrapeStart.Add(24 * time.Hour)
)

const (
	scrapeSourceApp = "sluice-bench"
	timeQuery       = "2006-01-02T15:04:05"
	// maxMismatches is how many differing nodes a sample names.
	maxMismatches = 10
)

// RunScrapeChild runs one scrape measurement in this process: the mock API
// on a loopback port, and the real pipeline (scrape.Client, batch.Run,
// store) writing to a temporary folder, checked against the mock's truth
// and removed at the end.
func RunScrapeChild(ctx context.Context, spec ScrapeSpec) (ScrapeSample, error) {
	spec.Concurrency = []int{spec.Workers}
	if err := spec.check(); err != nil {
		return ScrapeSample{}, err
	}
	sizes, err := mockapi.ParseSizeDist(spec.Sizes)
	if err != nil {
		return ScrapeSample{}, err
	}
	latency, err := mockapi.ParseLatency(spec.Latency)
	if err != nil {
		return ScrapeSample{}, err
	}
	mcfg := mockapi.Config{
		Seed: spec.Seed, Limit: spec.Limit, Window: spec.Window, MaxConcurrent: spec.MaxConcurrent,
		Latency: latency, Sizes: sizes,
	}
	if spec.Server == ServerNginx {
		mcfg = mockapi.Config{Seed: spec.Seed, Sizes: sizes} // only the bodies and the truth: nginx limits
	}
	inst, err := mockapi.Start(mcfg, "127.0.0.1:0")
	if err != nil {
		return ScrapeSample{}, err
	}
	defer inst.Close()
	dir, err := os.MkdirTemp("", "sluice-bench-scrape-")
	if err != nil {
		return ScrapeSample{}, fmt.Errorf("measure: %w", err)
	}
	defer os.RemoveAll(dir)

	nodes := benchNodes(spec.Nodes)
	url := inst.URL + mockapi.DataPath + "?resource={node}&starttime={start}&endtime={end}&sourceapp={app}"
	if spec.Server == ServerNginx {
		srv, err := startNginx(ctx, spec, inst.URL, dir, nodes)
		if err != nil {
			return ScrapeSample{}, err
		}
		defer srv.Stop()
		url = srv.URL + "/data/{node}.json"
	}
	out := filepath.Join(dir, "out")
	s, err := runPipeline(ctx, spec, url, out, nodes)
	if err != nil {
		return ScrapeSample{}, err
	}
	if spec.Server == ServerNginx {
		// nginx keeps no count per client: the client's are the same
		// requests, answered.
		s.ServerRequests, s.ServerStatus429 = s.Requests, s.Status429
	} else {
		st := inst.Server.Stats().Clients[scrapeSourceApp]
		s.ServerRequests, s.ServerStatus429 = st.Requests, st.Status429
		s.ServerMaxInWindow, s.ServerMaxOpen = st.MaxInWindow, st.MaxOpen
	}
	v, err := mockapi.CheckRun(out, nodes, func(node string) (synth.Truth, error) {
		return inst.Server.Truth(node, scrapeStart, scrapeEnd)
	})
	if err != nil {
		return ScrapeSample{}, fmt.Errorf("measure: %w", err)
	}
	mismatches := v.Mismatches
	s.MismatchCount = len(mismatches)
	s.Mismatches = mismatches[:min(len(mismatches), maxMismatches)]
	s.HWMBytes = peakRSS()
	return s, nil
}

// startNginx fetches every node's body from the mock at mockURL (its
// answer to the pipeline's query) into a file of a real nginx under dir,
// limited as spec says, and starts it.
func startNginx(ctx context.Context, spec ScrapeSpec, mockURL, dir string, nodes []string) (*nginxtest.Server, error) {
	bin, err := nginxtest.Find()
	if err != nil {
		return nil, err
	}
	files := make(map[string][]byte, len(nodes))
	q := url.Values{"starttime": {scrapeStart.Format(timeQuery)}, "endtime": {scrapeEnd.Format(timeQuery)}, "sourceapp": {"prepare"}}
	for _, node := range nodes {
		q.Set("resource", node)
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, mockURL+mockapi.DataPath+"?"+q.Encode(), nil)
		if err != nil {
			return nil, fmt.Errorf("measure: %w", err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return nil, fmt.Errorf("measure: body of %s: %w", node, err)
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err == nil && resp.StatusCode != http.StatusOK {
			err = fmt.Errorf("status %d", resp.StatusCode)
		}
		if err != nil {
			return nil, fmt.Errorf("measure: body of %s: %w", node, err)
		}
		files[node+".json"] = b // a prefix's "/" makes a folder, as nginx decodes %2F
	}
	ndir := filepath.Join(dir, "nginx")
	if err := os.Mkdir(ndir, 0o755); err != nil {
		return nil, fmt.Errorf("measure: %w", err)
	}
	return nginxtest.Run(bin, ndir, nginxtest.Config{Rate: int(spec.LimitPerSecond()), Burst: spec.ServerBurst,
		RetryAfter: spec.RetryAfter, Files: files})
}

// runPipeline runs what `sluice ripestat` runs, against the URL template
// tmpl, into dir.
func runPipeline(ctx context.Context, spec ScrapeSpec, tmpl, dir string, nodes []string) (ScrapeSample, error) {
	s := ScrapeSample{Workers: spec.Workers}
	tl := newTimeline()
	mode := extract.Mode(spec.Mode)
	if mode == "" {
		mode = extract.Stream
	}
	client, err := scrape.New(scrape.Options{
		URL:         tmpl,
		Vars:        map[string]string{"start": scrapeStart.Format(timeQuery), "end": scrapeEnd.Format(timeQuery), "app": scrapeSourceApp},
		Rate:        spec.Rate,
		Burst:       spec.Burst,
		Concurrency: spec.Workers,
		MaxAttempts: spec.MaxAttempts,
		// A bound, so that a broken run ends; the mock injects no stalls.
		MaxNodeTime:   5 * time.Minute,
		WrapTransport: tl.wrap,
	})
	if err != nil {
		return s, fmt.Errorf("measure: scrape client: %w", err)
	}
	defer client.Close()
	plan, err := batch.NewPlan(nodes, batch.PlanOptions{Size: spec.BatchSize})
	if err != nil {
		return s, err
	}
	run, err := store.Open(dir, store.Params{
		URL: scrape.Redact(tmpl), Paths: []string{extract.DefaultPath}, Mode: string(mode),
		Start: scrapeStart.Format(timeQuery), End: scrapeEnd.Format(timeQuery),
		BatchSize: plan.Size(), Bucket: time.Hour.String(), Unit: "s", NodesSHA256: plan.NodesSHA256(),
	}, store.OpenOptions{})
	if err != nil {
		return s, err
	}
	defer run.Close()
	tl.start = time.Now()
	s.StartUnixNano = tl.start.UnixNano()
	sum, err := batch.Run(ctx, plan, client, run, batch.Options{
		Extract:     extract.Options{Mode: mode},
		Bucket:      time.Hour,
		StatusPath:  "status",
		Concurrency: spec.Workers,
		Stats:       client,
	})
	s.EndUnixNano = time.Now().UnixNano()
	tl.into(&s)
	if err != nil {
		return s, fmt.Errorf("measure: pipeline at concurrency %d: %w", spec.Workers, err)
	}
	cs := client.Stats()
	s.OK, s.Dead, s.BodyBytes, s.WireBytes = sum.OK, sum.Dead, sum.Bytes, cs.WireBytes
	s.ElapsedNanos, s.P50Nanos, s.P95Nanos = int64(sum.Elapsed), int64(sum.P50), int64(sum.P95)
	s.Requests, s.Retries, s.Status429, s.Status5xx, s.FinalRate = cs.Requests, cs.Retries, cs.Status429, cs.Status5xx, cs.Rate
	return s, nil
}

// benchNodes makes n resource names: AS numbers, every fifth a prefix.
func benchNodes(n int) []string {
	nodes := make([]string, 0, n)
	for i := 1; len(nodes) < n; i++ {
		if i%5 == 0 {
			nodes = append(nodes, fmt.Sprintf("%d.%d.%d.0/24", 10+i/65536%200, i/256%256, i%256))
			continue
		}
		nodes = append(nodes, "AS"+strconv.Itoa(64496+i))
	}
	return nodes
}
