package batch

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Metrics are the figures of a run for Prometheus' node_exporter textfile
// collector: WriteMetricsFile writes them, during the run and at its end,
// as PATH.prom in the text exposition format. The usual alerts of a batch
// job read them: "no success for 26 h" from
// sluice_last_success_timestamp_seconds, "the run failed" from
// sluice_run_exit_status, "RIPE is refusing us" from
// sluice_rate_limited_total.
type Metrics struct {
	Summary Summary
	// Running is true while the run goes on; ExitStatus is then unknown.
	Running    bool
	ExitStatus int
	// LastSuccess is the end of the last run that exited 0; zero: none
	// known (WriteMetricsFile then keeps the value in the file it
	// replaces, so a failed run does not reset the alert's clock).
	LastSuccess time.Time
	// Labels are added to every series, e.g. {"shard": "1/2"}, so that the
	// files of two jobs on one machine do not collide.
	Labels map[string]string
}

// lastSuccessName is the series WriteMetricsFile carries over.
const lastSuccessName = "sluice_last_success_timestamp_seconds"

// WriteMetrics writes m in the Prometheus text format, each family with
// HELP and TYPE lines.
func WriteMetrics(w io.Writer, m Metrics) error {
	s := m.Summary
	pw := &promWriter{w: bufio.NewWriter(w), labels: labelString(m.Labels)}
	running := 0.0
	if m.Running {
		running = 1
	}
	pw.family("sluice_run_running", "gauge", "1 while the run goes on, 0 once it has ended.")
	pw.sample("sluice_run_running", "", running)
	pw.family("sluice_run_start_timestamp_seconds", "gauge", "When the last run started, in seconds since the epoch.")
	pw.sample("sluice_run_start_timestamp_seconds", "", unix(s.Start))
	if !m.Running {
		pw.family("sluice_run_end_timestamp_seconds", "gauge", "When the last run ended, in seconds since the epoch.")
		pw.sample("sluice_run_end_timestamp_seconds", "", unix(s.End))
		pw.family("sluice_run_exit_status", "gauge", "Exit status of the last run: 0 done, 1 dead letters, 2 usage or configuration, 3 interrupted, 4 could not finish (a rerun may).")
		pw.sample("sluice_run_exit_status", "", float64(m.ExitStatus))
	}
	if !m.LastSuccess.IsZero() {
		pw.family(lastSuccessName, "gauge", "When the last run that exited 0 ended, in seconds since the epoch.")
		pw.sample(lastSuccessName, "", unix(m.LastSuccess))
	}
	pw.family("sluice_run_duration_seconds", "gauge", "Duration of the last run (so far, while it runs).")
	pw.sample("sluice_run_duration_seconds", "", s.Elapsed.Seconds())
	pw.family("sluice_run_nodes", "gauge", "Nodes of the last run by state.")
	pending := max(int64(s.Nodes-s.SkippedNodes)-s.OK-s.Dead-s.InFlight, 0)
	for _, st := range []struct {
		state string
		n     int64
	}{{"ok", s.OK}, {"dead", s.Dead}, {"skipped", int64(s.SkippedNodes)}, {"in_flight", s.InFlight}, {"pending", pending}} {
		pw.sample("sluice_run_nodes", `state="`+st.state+`"`, float64(st.n))
	}
	pw.family("sluice_requests_total", "counter", "Requests sent by the last run, by HTTP status of the answer (\"none\": no answer).")
	codes := make([]int, 0, len(s.ByStatus))
	for code := range s.ByStatus {
		codes = append(codes, code)
	}
	slices.Sort(codes)
	for _, code := range codes {
		pw.sample("sluice_requests_total", `code="`+strconv.Itoa(code)+`"`, float64(s.ByStatus[code]))
	}
	pw.sample("sluice_requests_total", `code="none"`, float64(s.Classes().NoResponse))
	pw.family("sluice_rate_limited_total", "counter", "429 answers received by the last run.")
	pw.sample("sluice_rate_limited_total", "", float64(s.Status429))
	pw.family("sluice_retries_total", "counter", "Attempts of the last run that were followed by another.")
	pw.sample("sluice_retries_total", "", float64(s.Retries))
	pw.family("sluice_wire_bytes_total", "counter", "Response body bytes the last run read from its connections (before Content-Encoding is decoded), error answers included.")
	pw.sample("sluice_wire_bytes_total", "", float64(s.WireBytes))
	pw.family("sluice_body_bytes_total", "counter", "Decoded bytes of the 2xx bodies of the last run, every attempt.")
	pw.sample("sluice_body_bytes_total", "", float64(s.BodyBytes))
	pw.family("sluice_limiter_wait_seconds_total", "counter", "Time requests of the last run waited for the rate limit, summed.")
	pw.sample("sluice_limiter_wait_seconds_total", "", s.Waited.Seconds())
	pw.family("sluice_fetch_latency_seconds", "summary", "Fetch latency of the last run's finished nodes (ok or dead), rate-limit waits left out.")
	for _, q := range []struct {
		q string
		d time.Duration
	}{{"0.5", s.P50}, {"0.95", s.P95}, {"1", s.Max}} {
		pw.sample("sluice_fetch_latency_seconds", `quantile="`+q.q+`"`, q.d.Seconds())
	}
	pw.sample("sluice_fetch_latency_seconds_sum", "", s.Mean.Seconds()*float64(s.OK+s.Dead))
	pw.sample("sluice_fetch_latency_seconds_count", "", float64(s.OK+s.Dead))
	if s.PeakRSS > 0 {
		pw.family("sluice_peak_rss_bytes", "gauge", "Peak resident memory of the last run.")
		pw.sample("sluice_peak_rss_bytes", "", float64(s.PeakRSS))
	}
	if pw.err != nil {
		return pw.err
	}
	return pw.w.Flush()
}

// WriteMetricsFile writes m to path atomically: a temporary file in the
// same folder, then a rename, so the collector never reads half a file.
// The temporary name does not end in .prom, which the collector would
// read. A zero m.LastSuccess keeps the one of the file replaced.
func WriteMetricsFile(path string, m Metrics) error {
	if m.LastSuccess.IsZero() {
		m.LastSuccess = readLastSuccess(path)
	}
	var buf bytes.Buffer
	if err := WriteMetrics(&buf, m); err != nil {
		return err
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp*")
	if err != nil {
		return fmt.Errorf("metrics file: %w", err)
	}
	tmp := f.Name()
	_, err = f.Write(buf.Bytes())
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp, 0o644) // CreateTemp makes 0600; the collector may run as another user
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("metrics file %s: %w", path, err)
	}
	return nil
}

// readLastSuccess reads the last-success series of an earlier file at
// path; zero if there is none.
func readLastSuccess(path string) time.Time {
	data, err := os.ReadFile(path)
	if err != nil {
		return time.Time{}
	}
	for line := range strings.Lines(string(data)) {
		rest, ok := strings.CutPrefix(line, lastSuccessName)
		if !ok || rest == "" || (rest[0] != ' ' && rest[0] != '{') {
			continue
		}
		fields := strings.Fields(rest)
		if v, err := strconv.ParseFloat(fields[len(fields)-1], 64); err == nil && v > 0 {
			return time.Unix(0, int64(v*1e9)).UTC()
		}
	}
	return time.Time{}
}

// promWriter writes samples with the shared labels; err is sticky.
type promWriter struct {
	w      *bufio.Writer
	labels string // `k="v",…` or ""
	err    error
}

func (p *promWriter) family(name, typ, help string) {
	p.printf("# HELP %s %s\n# TYPE %s %s\n", name, help, name, typ)
}

func (p *promWriter) sample(name, labels string, v float64) {
	l := p.labels
	if labels != "" {
		if l != "" {
			l += ","
		}
		l += labels
	}
	if l != "" {
		l = "{" + l + "}"
	}
	p.printf("%s%s %s\n", name, l, strconv.FormatFloat(v, 'g', -1, 64))
}

func (p *promWriter) printf(format string, args ...any) {
	if p.err == nil {
		_, p.err = fmt.Fprintf(p.w, format, args...)
	}
}

// labelString renders labels sorted by name, values escaped as the text
// format wants.
func labelString(labels map[string]string) string {
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	esc := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `%s="%s"`, k, esc.Replace(labels[k]))
	}
	return b.String()
}

func unix(t time.Time) float64 {
	if t.IsZero() {
		return 0
	}
	return float64(t.UnixNano()) / 1e9
}
