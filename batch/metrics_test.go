package batch

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

func metricsSummary() Summary {
	return Summary{Nodes: 10, SkippedNodes: 2, OK: 6, Dead: 1, InFlight: 1, Requests: 12, Mean: 30 * time.Millisecond, Retries: 4, Status429: 2,
		ByStatus: map[int]int64{200: 7, 429: 2, 503: 1}, WireBytes: 5000, BodyBytes: 9000,
		Start: t0, End: t0.Add(90 * time.Second), Elapsed: 90 * time.Second, Waited: 2500 * time.Millisecond,
		P50: 20 * time.Millisecond, P95: 90 * time.Millisecond, Max: 100 * time.Millisecond, PeakRSS: 50 << 20}
}

// parseMetrics reads the text format with Prometheus' own parser.
func parseMetrics(t *testing.T, text []byte) map[string]*dto.MetricFamily {
	t.Helper()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(bytes.NewReader(text))
	if err != nil {
		t.Fatalf("the Prometheus parser refuses the file: %v\n%s", err, text)
	}
	return fams
}

// value returns the sample of name whose labels include want.
func value(t *testing.T, fams map[string]*dto.MetricFamily, name string, want map[string]string) float64 {
	t.Helper()
	f := fams[name]
	if f == nil {
		t.Fatalf("no family %s", name)
	}
	for _, m := range f.Metric {
		match := true
		for k, v := range want {
			found := false
			for _, l := range m.Label {
				if l.GetName() == k && l.GetValue() == v {
					found = true
				}
			}
			match = match && found
		}
		if !match {
			continue
		}
		switch f.GetType() {
		case dto.MetricType_COUNTER:
			return m.Counter.GetValue()
		case dto.MetricType_GAUGE:
			return m.Gauge.GetValue()
		}
		t.Fatalf("%s: type %v", name, f.GetType())
	}
	t.Fatalf("%s: no sample with labels %v", name, want)
	return 0
}

func TestWriteMetrics(t *testing.T) {
	var buf bytes.Buffer
	m := Metrics{Summary: metricsSummary(), ExitStatus: 1, LastSuccess: t0.Add(-24 * time.Hour), Labels: map[string]string{"shard": "1/2"}}
	if err := WriteMetrics(&buf, m); err != nil {
		t.Fatal(err)
	}
	fams := parseMetrics(t, buf.Bytes())
	shard := map[string]string{"shard": "1/2"}
	with := func(k, v string) map[string]string { return map[string]string{"shard": "1/2", k: v} }
	tests := []struct {
		name   string
		labels map[string]string
		typ    dto.MetricType
		want   float64
	}{
		{"sluice_run_running", shard, dto.MetricType_GAUGE, 0},
		{"sluice_run_start_timestamp_seconds", shard, dto.MetricType_GAUGE, float64(t0.Unix())},
		{"sluice_run_end_timestamp_seconds", shard, dto.MetricType_GAUGE, float64(t0.Unix() + 90)},
		{"sluice_last_success_timestamp_seconds", shard, dto.MetricType_GAUGE, float64(t0.Unix() - 86400)},
		{"sluice_run_exit_status", shard, dto.MetricType_GAUGE, 1},
		{"sluice_run_duration_seconds", shard, dto.MetricType_GAUGE, 90},
		{"sluice_run_nodes", with("state", "ok"), dto.MetricType_GAUGE, 6},
		{"sluice_run_nodes", with("state", "dead"), dto.MetricType_GAUGE, 1},
		{"sluice_run_nodes", with("state", "skipped"), dto.MetricType_GAUGE, 2},
		{"sluice_run_nodes", with("state", "in_flight"), dto.MetricType_GAUGE, 1},
		{"sluice_run_nodes", with("state", "pending"), dto.MetricType_GAUGE, 0},
		{"sluice_requests_total", with("code", "200"), dto.MetricType_COUNTER, 7},
		{"sluice_requests_total", with("code", "429"), dto.MetricType_COUNTER, 2},
		{"sluice_requests_total", with("code", "503"), dto.MetricType_COUNTER, 1},
		{"sluice_requests_total", with("code", "none"), dto.MetricType_COUNTER, 2},
		{"sluice_rate_limited_total", shard, dto.MetricType_COUNTER, 2},
		{"sluice_retries_total", shard, dto.MetricType_COUNTER, 4},
		{"sluice_wire_bytes_total", shard, dto.MetricType_COUNTER, 5000},
		{"sluice_body_bytes_total", shard, dto.MetricType_COUNTER, 9000},
		{"sluice_limiter_wait_seconds_total", shard, dto.MetricType_COUNTER, 2.5},
		{"sluice_peak_rss_bytes", shard, dto.MetricType_GAUGE, 50 << 20},
	}
	for _, tt := range tests {
		if got := value(t, fams, tt.name, tt.labels); got != tt.want {
			t.Errorf("%s%v = %v, want %v", tt.name, tt.labels, got, tt.want)
		}
		if typ := fams[tt.name].GetType(); typ != tt.typ {
			t.Errorf("%s: type %v, want %v", tt.name, typ, tt.typ)
		}
		if fams[tt.name].GetHelp() == "" {
			t.Errorf("%s: no HELP", tt.name)
		}
	}
	lat := fams["sluice_fetch_latency_seconds"]
	if lat.GetType() != dto.MetricType_SUMMARY || len(lat.Metric) != 1 {
		t.Fatalf("latency family %v", lat)
	}
	if sm := lat.Metric[0].Summary; sm.GetSampleCount() != 7 || len(sm.Quantile) != 3 || sm.Quantile[1].GetQuantile() != 0.95 || sm.Quantile[1].GetValue() != 0.09 {
		t.Errorf("latency summary %v", sm)
	}
	// While running there is no exit status or end yet.
	buf.Reset()
	m.Running = true
	if err := WriteMetrics(&buf, m); err != nil {
		t.Fatal(err)
	}
	fams = parseMetrics(t, buf.Bytes())
	if _, ok := fams["sluice_run_exit_status"]; ok {
		t.Error("an exit status while the run goes on")
	}
	if v := value(t, fams, "sluice_run_running", shard); v != 1 {
		t.Errorf("running = %v", v)
	}
	promtoolCheck(t, buf.Bytes())
}

// promtoolCheck runs `promtool check metrics`, the linter of Prometheus'
// own conventions (names, units, HELP), on text.
func promtoolCheck(t *testing.T, text []byte) {
	t.Helper()
	path, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("promtool not found; CI must run this check (apt-get install prometheus)")
		}
		t.Skip("promtool not found; install it with `apt-get install prometheus` to lint the metrics")
	}
	cmd := exec.Command(path, "check", "metrics")
	cmd.Stdin = bytes.NewReader(text)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Errorf("promtool check metrics: %v\n%s\n%s", err, out, text)
	}
}

// The file is replaced whole (no temporary file left beside it), and a
// failed run keeps the last success of the run before.
func TestWriteMetricsFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sluice.prom")
	ok := t0.Add(-time.Hour)
	if err := WriteMetricsFile(path, Metrics{Summary: metricsSummary(), LastSuccess: ok}); err != nil {
		t.Fatal(err)
	}
	if err := WriteMetricsFile(path, Metrics{Summary: metricsSummary(), ExitStatus: 1}); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	fams := parseMetrics(t, data)
	if got := value(t, fams, lastSuccessName, nil); got != float64(ok.Unix()) {
		t.Errorf("last success %v after a failed run, want the earlier %v", got, ok.Unix())
	}
	if got := value(t, fams, "sluice_run_exit_status", nil); got != 1 {
		t.Errorf("exit status %v", got)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("files left: %v", entries)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, %v: the collector must be able to read it", fi.Mode(), err)
	}
	if strings.Contains(string(data), "NaN") {
		t.Errorf("NaN in %s", data)
	}
	if err := WriteMetricsFile(filepath.Join(dir, "missing", "x.prom"), Metrics{}); err == nil || !strings.Contains(err.Error(), "metrics file") {
		t.Errorf("write into a missing folder: %v", err)
	}
}
