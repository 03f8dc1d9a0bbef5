package report

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/bench/measure"
	"github.com/sluicehq/sluice/bench/testenv"
	"github.com/sluicehq/sluice/bench/units"
)

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if testenv.Update() {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test -update rewrites it); got:\n%s", name, got)
	}
}

func TestTextGolden(t *testing.T) {
	var b bytes.Buffer
	if err := WriteExtractText(&b, sampleExtract()); err != nil {
		t.Fatal(err)
	}
	b.WriteString("\n")
	if err := WriteScrapeText(&b, sampleScrape()); err != nil {
		t.Fatal(err)
	}
	golden(t, "text.golden", b.Bytes())
}

func TestMarkdownGolden(t *testing.T) {
	r := sampleReport()
	charts, err := r.Charts()
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "bench.md.golden", []byte(r.Markdown(charts)))
}

func TestChartsAreSVGWithLabels(t *testing.T) {
	charts, err := sampleReport().Charts()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		ThroughputSVG:  {"Extraction throughput", "MB/s", "body size", "stream", "json Decoder.Token", "1 MiB", "64 MiB"},
		MemorySVG:      {"Peak memory: stream mode stays at", "peak RSS (log scale)", "body size (log scale)", "read only (floor)", "16 MiB", "stream ", "regex "},
		SweepSVG:       {"buffer size", "4 KiB", "1 MiB", "json Decoder.Token, same body", "default 64 KiB", "bars from the slowest to the fastest"},
		ConcurrencySVG: {"concurrency (log scale)", "requests per second", "server limit (100 requests/s)", "16", "sent: every request", "admitted: ", "p95 node latency", "p50 "},
	}
	if len(charts) != len(want) {
		t.Errorf("%d charts, want %d", len(charts), len(want))
	}
	for name, texts := range want {
		got := svgTexts(t, name, charts[name])
		for _, w := range texts {
			if !strings.Contains(got, w) {
				t.Errorf("%s: no text %q in %q", name, w, got)
			}
		}
	}
}

// svgTexts checks that data is an SVG document and returns its text.
func svgTexts(t *testing.T, name string, data []byte) string {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(data))
	var root string
	var text strings.Builder
	inText := false
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			if root == "" {
				root = tok.Name.Local
			}
			inText = tok.Name.Local == "text"
		case xml.CharData:
			if inText {
				text.Write(tok)
				text.WriteString("|")
			}
		case xml.EndElement:
			inText = false
		}
	}
	if root != "svg" {
		t.Fatalf("%s: root element <%s>", name, root)
	}
	return text.String()
}

// Odd results must give fewer charts, never a panic: log axes cannot take
// a zero or a single point without care.
func TestChartsOfOddResults(t *testing.T) {
	one := sampleExtract()
	one.Rows = one.Rows[:1] // one kind at one size, no sweep
	one.Summarize()
	failed := sampleExtract()
	for i := range failed.Rows {
		failed.Rows[i].Error = "child process: exit status 1"
	}
	failed.Summarize()
	for _, tc := range []struct {
		name string
		res  *measure.ExtractResult
		want []string
	}{
		{"one row", one, []string{ThroughputSVG, MemorySVG}},
		{"all failed", failed, nil},
	} {
		charts, err := (&Report{Extract: &ExtractReport{Result: tc.res}}).Charts()
		if err != nil || len(charts) != len(tc.want) {
			t.Errorf("%s: %d charts, %v; want %v", tc.name, len(charts), err, tc.want)
		}
		for _, name := range tc.want {
			svgTexts(t, name, charts[name])
		}
	}
}

func TestWriteLoadMerge(t *testing.T) {
	dir := t.TempDir()
	empty, err := Load(dir)
	if err != nil || empty.Extract != nil || empty.Scrape != nil {
		t.Fatalf("Load of an empty folder: %+v, %v", empty, err)
	}
	full := sampleReport()
	extractOnly := &Report{Extract: full.Extract}
	if err := extractOnly.Write(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, ConcurrencySVG)); err == nil {
		t.Errorf("%s written without a scrape section", ConcurrencySVG)
	}
	// A scrape run into the same folder keeps the extract section.
	r, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	r.Merge(&Report{Scrape: full.Scrape})
	if err := r.Write(dir); err != nil {
		t.Fatal(err)
	}
	back, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if back.Extract == nil || back.Scrape == nil || len(back.Extract.Result.Rows) != len(full.Extract.Result.Rows) ||
		back.Scrape.Result.Points[2].AdmittedPerSec != full.Scrape.Result.Points[2].AdmittedPerSec {
		t.Errorf("merged report lost figures: %+v", back)
	}
	for _, name := range []string{JSONFile, MarkdownFile, ThroughputSVG, MemorySVG, SweepSVG, ConcurrencySVG} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Error(err)
		}
	}
	tmps, _ := filepath.Glob(filepath.Join(dir, "*.tmp"))
	if len(tmps) > 0 {
		t.Errorf("temporary files left: %v", tmps)
	}
}

func TestLoadErrors(t *testing.T) {
	for _, tc := range []struct{ name, content, want string }{
		{"bad json", "{", "bench.json"},
		{"other schema", `{"schema": 99}`, "schema 99"},
	} {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, JSONFile), []byte(tc.content), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err %v, want one naming %q", tc.name, err, tc.want)
		}
	}
}

func TestShellQuote(t *testing.T) {
	got := ShellQuote([]string{"sluice", "bench", "--report=/tmp/a b", "--sizes=1MiB,64MiB", "it's", ""})
	want := `sluice bench '--report=/tmp/a b' --sizes=1MiB,64MiB 'it'\''s' ''`
	if got != want {
		t.Errorf("ShellQuote = %s, want %s", got, want)
	}
}

func TestPowerOfTwoTicks(t *testing.T) {
	ticks := powerOfTwoTicks(3<<20, 3<<30)
	var labels []string
	for _, tk := range ticks {
		if tk.Label != "" {
			labels = append(labels, tk.Label)
		}
	}
	if got := strings.Join(labels, " "); got != "4 MiB 16 MiB 64 MiB 256 MiB 1 GiB" || len(ticks) != 10 {
		t.Errorf("%d ticks, labels %q", len(ticks), got)
	}
}

// The memory chart's axis fits the data (not 16 GiB for a 3.5 GiB
// maximum), and the read floor is drawn before the modes so it does not
// hide them.
func TestMemoryChartFitsData(t *testing.T) {
	res := sampleExtract()
	p, err := memoryChart(res)
	if err != nil || p == nil {
		t.Fatal(p, err)
	}
	lo, hi := int64(math.MaxInt64), int64(0)
	for _, row := range res.Rows {
		if !row.Sweep && row.PeakRSSBytes > 0 {
			lo, hi = min(lo, row.PeakRSSBytes), max(hi, row.PeakRSSBytes)
		}
	}
	if p.Y.Max > 2.5*float64(hi) || p.Y.Min < float64(lo)/2.5 {
		t.Errorf("Y axis %s to %s for data %s to %s", units.FormatSize(int64(p.Y.Min)), units.FormatSize(int64(p.Y.Max)), units.FormatSize(lo), units.FormatSize(hi))
	}
}
