package report

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/sluicehq/sluice/bench/measure"
	"github.com/sluicehq/sluice/bench/units"
)

// ScrapeReport is the report of `sluice bench scrape`.
type ScrapeReport struct {
	Run    Run                   `json:"run"`
	Result *measure.ScrapeResult `json:"result"`
}

func scrapeTable(res *measure.ScrapeResult) *table {
	t := &table{
		head:  []string{"concurrency", "admitted req/s", "of limit", "busiest window", "429s", "retries", "nodes/s", "MB/s", "p50", "p95", "peak RSS", "dead", "truth"},
		right: []bool{true, true, true, true, true, true, true, true, true, true, true, true, false},
	}
	for _, p := range res.Points {
		c := strconv.Itoa(p.Concurrency)
		if p.Error != "" || len(p.Reps) == 0 {
			t.add(c, "FAILED", "", "", "", "", "", "", "", "", "", "", "")
			continue
		}
		var dead, inWindow int64
		truth := "matches"
		for _, r := range p.Reps {
			dead = max(dead, r.Dead)
			inWindow = max(inWindow, r.ServerMaxInWindow)
			if r.MismatchCount > 0 {
				truth = fmt.Sprintf("%d WRONG", r.MismatchCount)
			}
		}
		of, busiest := "–", "–"
		if res.Config.LimitPerSecond() > 0 {
			of = strconv.FormatFloat(100*p.FractionOfLimit, 'f', 0, 64) + "%"
			if res.Config.Server != measure.ServerNginx { // nginx counts no windows
				busiest = fmt.Sprintf("%d/%d", inWindow, res.Config.Limit)
			}
		}
		t.add(c, fmtMBps(p.AdmittedPerSec), of, busiest, units.TrimNumber(p.Status429), units.TrimNumber(p.Retries), fmtMBps(p.NodesPerSec),
			fmtMBps(p.MBps), fmtMillis(p.P50Millis), fmtMillis(p.P95Millis), units.FormatSize(p.PeakRSSBytes), strconv.FormatInt(dead, 10), truth)
	}
	return t
}

func fmtMillis(ms float64) string {
	if ms >= 1000 {
		return strconv.FormatFloat(ms/1000, 'f', 2, 64) + " s"
	}
	return units.TrimNumber(ms) + " ms"
}

func scrapeHeadline(res *measure.ScrapeResult) string {
	c := res.Config
	limit := "no rate limit"
	if c.LimitPerSecond() > 0 {
		limit = fmt.Sprintf("a limit of %d requests per %v (%s/s)", c.Limit, c.Window, fmtMBps(c.LimitPerSecond()))
	}
	if c.MaxConcurrent > 0 {
		limit += fmt.Sprintf(" and %d open requests", c.MaxConcurrent)
	}
	mode := c.Mode
	if mode == "" {
		mode = measure.KindStream
	}
	rate := "no client rate limit until the first 429"
	if c.Rate > 0 {
		rate = fmt.Sprintf("a client rate of %s/s to start", units.TrimNumber(c.Rate))
	}
	if c.Server == measure.ServerNginx {
		ra := "no rate headers"
		if c.RetryAfter != "" {
			ra = "Retry-After: " + c.RetryAfter + " on every 429, no other rate header"
		}
		return fmt.Sprintf("scrape pipeline (scrape.Client, batch runner, store; %s mode) against a real nginx on loopback "+
			"(limit_req: %s requests/s, burst %d, nodelay; %s; gzip on; the mock's bodies as static files, no added latency): "+
			"%d nodes, body sizes %s; %s; median of %d runs, each in its own process:",
			mode, fmtMBps(c.LimitPerSecond()), c.ServerBurst, ra, c.Nodes, c.Sizes, rate, max(c.Reps, 1))
	}
	return fmt.Sprintf("scrape pipeline (scrape.Client, batch runner, store; %s mode) against the mock API on loopback: "+
		"%d nodes, body sizes %s, latency %s, %s; %s; median of %d runs, each in its own process:",
		mode, c.Nodes, c.Sizes, c.Latency, limit, rate, max(c.Reps, 1))
}

// WriteScrapeText writes the terminal report of a scrape benchmark.
func WriteScrapeText(w io.Writer, res *measure.ScrapeResult) error {
	fmt.Fprintln(w, scrapeHeadline(res))
	if err := scrapeTable(res).text(w); err != nil {
		return err
	}
	if res.Agreement.OK {
		fmt.Fprintln(w, "truth: every run stored exactly the mock's counts, first, last and hourly buckets for every node it did not dead-letter; none missing, none twice")
		return nil
	}
	fmt.Fprintln(w, "RESULTS DIFFER FROM THE MOCK'S TRUTH:\n  "+strings.Join(res.Agreement.Problems, "\n  "))
	return nil
}

func (s *ScrapeReport) markdown(b *strings.Builder, charts map[string][]byte, prefix string) {
	res := s.Result
	if res.Config.Server == measure.ServerNginx {
		b.WriteString("\n## Scrape pipeline against nginx\n\n")
	} else {
		b.WriteString("\n## Scrape pipeline\n\n")
	}
	runMarkdown(b, s.Run)
	b.WriteString(scrapeHeadline(res) + "\n\n")
	scrapeTable(res).markdown(b)
	b.WriteString("\n")
	agreementMarkdown(b, res.Agreement, "Truth: every run stored exactly the mock's counts, first, last and hourly buckets for every node it did not dead-letter; none missing, none twice.", "RESULTS DIFFER FROM THE MOCK'S TRUTH:")
	chartLink(b, charts, prefix+ConcurrencySVG, "Achieved request rate by concurrency, with the server's limit")
	chartLink(b, charts, prefix+TimelineSVG, "Request rate over time (per 200 ms, first run of each concurrency), with the server's limit and the first 429")
	b.WriteString(scrapeMethod)
}

const scrapeMethod = `### How these figures are made

- Each concurrency runs in its own child process: the mock API on a loopback
  port and the real pipeline (the same scrape.Client, batch runner and store
  as ` + "`sluice ripestat`" + `), writing to a temporary folder that is checked
  against the mock's ground truth and removed.
- "admitted req/s" counts the requests the server did not refuse, per second
  of the run. The server's limit is per fixed window, so over a run of a few
  windows this can exceed the nominal rate by up to a window's worth at each
  edge; "of limit" is therefore the admitted requests divided by the most the
  server would admit in the windows the run touched (at most 100%), and
  "busiest window" is the most it admitted in one window, against the limit.
  429s and retries are counts over the run; p50 and p95 are node latencies,
  retries and waits included. MB/s is body bytes (uncompressed JSON, MB = 10^6 bytes) per
  second of the run.
- Peak RSS is the child's VmHWM, and includes the mock server's memory.
`
