package report

import (
	"fmt"
	"strings"
	"time"

	"github.com/sluicehq/sluice/bench/measure"
	"github.com/sluicehq/sluice/bench/units"
)

// Markdown renders the report as bench.md, linking the charts present in
// charts (by file name).
func (r *Report) Markdown(charts map[string][]byte) string {
	var b strings.Builder
	b.WriteString("# sluice bench\n\n")
	b.WriteString("Every figure is also in `bench.json`. The machine is shared and the figures are noisy: ")
	b.WriteString("compare the rows of one run (the ratios), not runs on different days.\n")
	if r.Extract != nil && r.Extract.Result != nil {
		r.Extract.markdown(&b, charts)
	}
	if r.Scrape != nil && r.Scrape.Result != nil {
		r.Scrape.markdown(&b, charts, "")
	}
	if r.ScrapeNginx != nil && r.ScrapeNginx.Result != nil {
		r.ScrapeNginx.markdown(&b, charts, NginxPrefix)
	}
	if r.Coord != nil && r.Coord.Result != nil {
		r.Coord.markdown(&b, charts)
	}
	return b.String()
}

func runMarkdown(b *strings.Builder, run Run) {
	fmt.Fprintf(b, "Measured %s on %s, in %.0f s, with:\n\n", run.Date.UTC().Format(time.RFC3339), run.Machine, run.Seconds)
	fmt.Fprintf(b, "```\n%s\n```\n\n", ShellQuote(run.Command))
}

func chartLink(b *strings.Builder, charts map[string][]byte, name, alt string) {
	if _, ok := charts[name]; ok {
		fmt.Fprintf(b, "![%s](%s)\n\n", alt, name)
	}
}

func (e *ExtractReport) markdown(b *strings.Builder, charts map[string][]byte) {
	res := e.Result
	b.WriteString("\n## Extraction\n\n")
	runMarkdown(b, e.Run)
	b.WriteString(extractHeadline(res) + "\n\n")
	extractTable(res).markdown(b)
	b.WriteString("\n")
	for _, s := range res.Skipped {
		fmt.Fprintf(b, "- Skipped %s at %s: %s.\n", kindLabel(s.Kind), units.FormatSize(s.Size), skipReason(s, res.Config.MemoryCap))
	}
	agreementMarkdown(b, res.Agreement, "Values: every kind found exactly the generator's values (count, first, last).", "VALUES DISAGREE:")
	chartLink(b, charts, ThroughputSVG, "Extraction throughput by mode and body size")
	chartLink(b, charts, MemorySVG, "Peak RSS by mode and body size, log scales")
	if hasSweep(res) {
		fmt.Fprintf(b, "### Stream buffer sweep (%s body)\n\n", units.FormatSize(res.Config.SweepSize))
		sweepTable(res).markdown(b)
		b.WriteString("\n")
		chartLink(b, charts, SweepSVG, "Stream throughput by buffer size")
	}
	b.WriteString(extractMethod)
}

// extractMethod says how the extraction figures were made.
const extractMethod = `### How these figures are made

- Each measurement runs in its own child process (the same binary, a hidden
  subcommand), so one mode's memory cannot pollute the next, and runs the
  given number of times; the table shows the median throughput, the largest
  peak RSS and heap, and the median allocations per value.
- Bodies are RIPEstat-shaped ` + "`bgp-updates`" + ` answers made on the fly by the
  generator and never stored. Time spent inside the generator (and the gzip
  compressor, with gzip input) is subtracted; decompression is counted, as
  in the real pipeline. A small body is extracted several times in its child
  so that the time is long enough to measure. With warm-up (the default),
  each child first extracts the body once untimed, so that the timed passes
  reuse the memory the process already has, as a pipeline worker reuses its
  extractor from node to node: on this VM the first touch of fresh memory
  can cost more than the extraction itself.
- Throughput is uncompressed JSON bytes per second (MB = 10^6 bytes): "MB/s" per
  second of wall time, "CPU MB/s" per second of the child's CPU time (user and
  system, every thread, the generator's share taken out; Linux only). On a shared
  machine the CPU figure moves far less with the load than the wall figure.
  "vs Decoder.Token" divides by the median of encoding/json's
  Decoder.Token walking the same path over the same body in the same run.
  "json Unmarshal" is io.ReadAll plus json.Unmarshal into a struct shaped
  like the path.
- Peak RSS is the child's VmHWM (its own address space); rusage maxrss,
  also in bench.json, starts from the parent's peak on Linux. "read only"
  reads the body and nothing else: its RSS and allocations are the floor
  that every row includes, and allocations per value are net of it. With
  gzip input its MB/s is the speed of decompression alone.
- Peak heap is sampled every 2 ms and at the end of each pass.
`

// ShellQuote joins args into one line a POSIX shell reads back as args.
func ShellQuote(args []string) string {
	out := make([]string, len(args))
	for i, a := range args {
		if a != "" && strings.Trim(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_=./,:@+%") == "" {
			out[i] = a
		} else {
			out[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
	}
	return strings.Join(out, " ")
}

// agreementMarkdown writes a report's truth check: the one line that says
// what agreed, or the heading and each problem found.
func agreementMarkdown(b *strings.Builder, a measure.Agreement, ok, differ string) {
	if a.OK {
		b.WriteString("- " + ok + "\n")
	} else {
		b.WriteString("- **" + differ + "**\n")
		for _, p := range a.Problems {
			fmt.Fprintf(b, "  - %s\n", p)
		}
	}
	b.WriteString("\n")
}
