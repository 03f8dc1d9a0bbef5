package report

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/sluicehq/sluice/bench/measure"
	"github.com/sluicehq/sluice/bench/units"
	"github.com/sluicehq/sluice/extract"
)

// kindLabel names a kind for people.
func kindLabel(k measure.Kind) string {
	switch k {
	case measure.PeerToken:
		return "json Decoder.Token"
	case measure.PeerUnmarshal:
		return "json Unmarshal"
	case measure.KindRead:
		return "read only"
	}
	return string(k)
}

// extractTable is the main table: one line per (size, kind).
func extractTable(res *measure.ExtractResult) *table {
	t := &table{
		head:  []string{"size", "kind", "MB/s", "CPU MB/s", "vs Decoder.Token", "peak RSS", "peak heap", "allocs/value", "values"},
		right: []bool{true, false, true, true, true, true, true, true, true},
	}
	for _, row := range res.Rows {
		if row.Sweep {
			continue
		}
		t.add(rowCells(row, units.FormatSize(row.Size))...)
	}
	return t
}

// sweepTable is the stream buffer sweep: one line per buffer size.
func sweepTable(res *measure.ExtractResult) *table {
	t := &table{
		head:  []string{"buffer", "kind", "MB/s", "CPU MB/s", "vs Decoder.Token", "peak RSS", "peak heap", "allocs/value", "values"},
		right: []bool{true, false, true, true, true, true, true, true, true},
	}
	for _, row := range res.Rows {
		if row.Sweep {
			t.add(rowCells(row, units.FormatSize(int64(row.BufferSize)))...)
		}
	}
	return t
}

func rowCells(row measure.Row, first string) []string {
	if row.Error != "" {
		return []string{first, kindLabel(row.Kind), "FAILED", "", "", "", "", "", ""}
	}
	values, ratio, speed := strconv.FormatInt(row.Values.Count, 10), fmtRatio(row.RatioToToken), fmtMBps(row.MedianMBps)
	cpu := "–" // not measured on this system
	if row.MedianCPUMBps > 0 {
		cpu = fmtMBps(row.MedianCPUMBps)
	}
	switch {
	case row.Kind == measure.KindRead:
		values, ratio = "–", "–" // not an extraction
		if !row.Gzip {
			speed, cpu = "–", "–" // nothing to do but count bytes: no speed to speak of
		}
	case !row.Values.Equal(row.Truth):
		values += " WRONG"
	}
	return []string{
		first, kindLabel(row.Kind), speed, cpu, ratio,
		units.FormatSize(row.PeakRSSBytes), units.FormatSize(int64(row.PeakHeapBytes)), fmtAllocs(row.AllocsPerValue), values,
	}
}

// WriteExtractText writes the terminal report of an extraction benchmark.
func WriteExtractText(w io.Writer, res *measure.ExtractResult) error {
	fmt.Fprintln(w, extractHeadline(res))
	if err := extractTable(res).text(w); err != nil {
		return err
	}
	if hasSweep(res) {
		fmt.Fprintf(w, "\nstream buffer sweep at %s:\n", units.FormatSize(res.Config.SweepSize))
		if err := sweepTable(res).text(w); err != nil {
			return err
		}
	}
	for _, s := range res.Skipped {
		fmt.Fprintf(w, "skipped %s at %s: %s\n", kindLabel(s.Kind), units.FormatSize(s.Size), skipReason(s, res.Config.MemoryCap))
	}
	fmt.Fprintln(w, agreementLine(res.Agreement))
	return nil
}

func hasSweep(res *measure.ExtractResult) bool {
	for _, r := range res.Rows {
		if r.Sweep {
			return true
		}
	}
	return false
}

func extractHeadline(res *measure.ExtractResult) string {
	c := res.Config
	input := "plain JSON"
	if c.Gzip {
		input = "gzip-compressed JSON"
	}
	buf := c.BufferSize
	if buf == 0 {
		buf = extract.DefaultBufferSize
	}
	warm := "timed from the first pass"
	if c.Warmup {
		warm = "after one untimed warm-up pass"
	}
	return fmt.Sprintf("extraction of data.updates[*].timestamp from generated bodies (%s), buffer %s, median of %d runs, each in its own process, %s; CPU MB/s is per second of the process's CPU time (steadier than wall time on a shared machine):",
		input, units.FormatSize(int64(buf)), max(c.Reps, 1), warm)
}

func skipReason(s measure.Skipped, memCap int64) string {
	return fmt.Sprintf("it holds the whole body and needs about %d × %s, over the memory cap of %s (--memory-cap)",
		s.Kind.MemoryFactor(), units.FormatSize(s.Size), units.FormatSize(memCap))
}

func agreementLine(a measure.Agreement) string {
	if a.OK {
		return "values: every kind found exactly the generator's values (count, first, last)"
	}
	return "VALUES DISAGREE:\n  " + strings.Join(a.Problems, "\n  ")
}
