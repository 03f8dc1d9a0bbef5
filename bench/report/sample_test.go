package report

import (
	"time"

	"github.com/sluicehq/sluice/bench/measure"
)

func ptr(v int64) *int64 { return &v }

// sampleExtract is a made-up but consistent extraction result: two sizes,
// every kind (full and json-unmarshal over the memory cap at the larger),
// a two-point sweep. Summarize computes the medians and ratios.
func sampleExtract() *measure.ExtractResult {
	res := &measure.ExtractResult{Config: measure.ExtractConfig{
		Sizes: []int64{1 << 20, 64 << 20}, Kinds: measure.Kinds(), Reps: 2, BufferSize: 64 << 10,
		SweepBuffers: []int{4 << 10, 1 << 20}, SweepSize: 1 << 20, Seed: 1, MemoryCap: 128 << 20,
	}}
	speed := map[measure.Kind]float64{ // MB/s at 1 MiB; ×1.2 at 64 MiB
		measure.KindStream: 900, measure.KindRegex: 400, measure.KindFull: 250,
		measure.PeerToken: 15, measure.PeerUnmarshal: 60, measure.KindRead: 5000,
	}
	rss := map[measure.Kind]int64{ // peak RSS at 1 MiB, bytes; holders grow with the body
		measure.KindStream: 16 << 20, measure.KindRegex: 17 << 20, measure.KindFull: 22 << 20,
		measure.PeerToken: 19 << 20, measure.PeerUnmarshal: 21 << 20, measure.KindRead: 16 << 20,
	}
	addRow := func(k measure.Kind, size int64, buf int, sweep bool) {
		updates := size / 200
		truth := measure.Values{Count: updates, First: ptr(1662940800), Last: ptr(1663027199)}
		row := measure.Row{Kind: k, Size: size, Updates: updates, BufferSize: buf, Sweep: sweep, Truth: truth}
		for i := range 2 {
			mbps := speed[k] * (1 + 0.2*float64(i)) // reps differ
			if size > 1<<20 {
				mbps *= 1.2
			}
			if sweep && buf == 4<<10 {
				mbps *= 0.7
			}
			values := truth
			if k == measure.KindRead {
				values = measure.Values{}
			}
			peak := rss[k]
			if k.HoldsBody() {
				peak += 2 * size
			}
			body := size - 1000
			row.Reps = append(row.Reps, measure.Rep{
				Sample: measure.Sample{Kind: k, BodyBytes: body, WireBytes: body, Passes: 1,
					ExtractNanos: int64(float64(body) / mbps * 1e3), ExtractCPUNanos: int64(float64(body) / (1.25 * mbps) * 1e3), Values: values,
					Mallocs: uint64(2600 + updates*int64(map[bool]int{true: 120, false: 0}[k == measure.PeerToken])), PeakHeapBytes: 1 << 20, HWMBytes: peak},
				MBps: mbps, CPUMBps: 1.25 * mbps, PeakRSSBytes: peak,
			})
		}
		res.Rows = append(res.Rows, row)
	}
	for _, size := range res.Config.Sizes {
		for _, k := range measure.Kinds() {
			if k.HoldsBody() && size > 1<<20 {
				res.Skipped = append(res.Skipped, measure.Skipped{Kind: k, Size: size, Reason: "over the cap"})
				continue
			}
			addRow(k, size, 64<<10, false)
		}
	}
	for _, b := range res.Config.SweepBuffers {
		addRow(measure.KindStream, 1<<20, b, true)
	}
	res.Summarize()
	return res
}

// sampleScrape is a made-up scrape result over three concurrencies.
func sampleScrape() *measure.ScrapeResult {
	res := &measure.ScrapeResult{Config: measure.ScrapeConfig{
		Nodes: 600, Seed: 1, Sizes: "lognormal:32KiB:1:4MiB", Latency: "lognormal:25ms:0.5",
		Limit: 100, Window: time.Second, Concurrency: []int{1, 4, 16}, Mode: measure.KindStream, BatchSize: 128,
	}}
	for i, c := range res.Config.Concurrency {
		elapsed := []float64{20, 7, 6.5}[i]
		s := measure.ScrapeSample{
			Workers: c, OK: 600, BodyBytes: 600 * 50_000, WireBytes: 600 * 12_000, ElapsedNanos: int64(elapsed * 1e9),
			P50Nanos: int64(30+10*i) * 1e6, P95Nanos: int64(70+40*i) * 1e6,
			Requests: 600 + int64(5*i), Retries: int64(5 * i), Status429: int64(5 * i),
			ServerRequests: 600 + int64(5*i), ServerStatus429: int64(5 * i), ServerMaxInWindow: 100, HWMBytes: int64(40+10*i) << 20,
		}
		secs := elapsed
		admissible := 100 * (int64(elapsed) + 2) // windows of 1 s, partial edges included
		rep := measure.ScrapeRep{ScrapeSample: s, PeakRSSBytes: s.HWMBytes,
			RequestsPerSec: float64(s.ServerRequests) / secs, AdmittedPerSec: 600 / secs, Admissible: admissible,
			FractionOfLimit: 600 / float64(admissible), NodesPerSec: 600 / secs, MBps: float64(s.BodyBytes) / secs / 1e6}
		res.Points = append(res.Points, measure.ScrapePoint{Concurrency: c, Reps: []measure.ScrapeRep{rep}})
	}
	res.Summarize()
	return res
}

func sampleRun(args ...string) Run {
	return Run{
		Command: append([]string{"sluice", "bench"}, args...),
		Date:    time.Date(2026, 11, 23, 14, 0, 0, 0, time.UTC),
		Machine: Machine{CPU: "AMD EPYC", Cores: 2, GOMAXPROCS: 2, MemBytes: 24 << 30, GoVersion: "go1.26.8", GOOS: "linux", GOARCH: "amd64"},
		Seconds: 42,
	}
}

func sampleReport() *Report {
	return &Report{
		Schema:  SchemaVersion,
		Extract: &ExtractReport{Run: sampleRun("extract", "--sizes=1MiB,64MiB"), Result: sampleExtract()},
		Scrape:  &ScrapeReport{Run: sampleRun("scrape", "--concurrency=1,4,16"), Result: sampleScrape()},
	}
}
