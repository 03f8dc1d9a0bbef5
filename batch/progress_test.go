package batch

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alitto/pond/v2"

	"github.com/sluicehq/sluice/scrape/clock"
	"github.com/sluicehq/sluice/store"
)

func TestProgressText(t *testing.T) {
	var buf bytes.Buffer
	p := newProgress(&buf, ProgressText, t0)
	p.report(t0.Add(2*time.Second), snapshot{Done: 10, Total: 100, OK: 9, Dead: 1, InFlight: 2, Retries: 3, Status429: 1,
		Bytes: 3_000_000, Elapsed: 2 * time.Second, Memory: Memory{RSS: 30 << 20, Peak: 40 << 20}})
	// The rates are over the last interval (here 1 s, 5 nodes), the ETA
	// over the whole run (15 nodes in 3 s).
	p.report(t0.Add(3*time.Second), snapshot{Done: 15, Total: 100, OK: 14, Dead: 1, InFlight: 0, Retries: 3, Status429: 1,
		Bytes: 4_500_000, Elapsed: 3 * time.Second})
	want := "time=2026-11-21T02:00:02.000Z level=INFO msg=progress done=10 total=100 nodes_per_s=5 mb_per_s=1.5 in_flight=2 retries=3 status_429=1 dead=1 elapsed_s=2 eta_s=18 rss_mib=30\n" +
		"time=2026-11-21T02:00:03.000Z level=INFO msg=progress done=15 total=100 nodes_per_s=5 mb_per_s=1.5 in_flight=0 retries=3 status_429=1 dead=1 elapsed_s=3 eta_s=17\n"
	if buf.String() != want {
		t.Fatalf("got\n%s\nwant\n%s", buf.String(), want)
	}
}

func TestProgressJSON(t *testing.T) {
	var buf bytes.Buffer
	p := newProgress(&buf, ProgressJSON, t0)
	p.report(t0.Add(time.Second), snapshot{Done: 0, Total: 7, InFlight: 4, Elapsed: time.Second})
	var rec map[string]any
	if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
		t.Fatalf("%v: %q", err, buf.String())
	}
	if rec["msg"] != "progress" || rec["done"] != 0.0 || rec["total"] != 7.0 || rec["in_flight"] != 4.0 || rec["time"] != "2026-11-21T02:00:01Z" {
		t.Fatalf("record %v", rec)
	}
	if _, ok := rec["eta_s"]; ok {
		t.Fatal("ETA given before any node finished")
	}
}

func TestProgressBar(t *testing.T) {
	var buf bytes.Buffer
	p := newProgress(&buf, ProgressBar, t0)
	p.width = func() int { return 160 }
	p.report(t0.Add(10*time.Second), snapshot{Done: 50, Total: 200, InFlight: 8, Retries: 2, Dead: 1, Bytes: 25_000_000,
		Elapsed: 10 * time.Second, Memory: Memory{RSS: 45 << 20}})
	p.above(func() { buf.WriteString("log record\n") })
	p.above(func() { buf.WriteString("another\n") })
	p.report(t0.Add(40*time.Second), snapshot{Done: 200, Total: 200, Dead: 1, Bytes: 100_000_000, Elapsed: 40 * time.Second})
	p.finish()
	want := "\r[======>                 ]  25.0%  50/200 nodes  5.0 nodes/s  2.50 MB/s  in flight 8  retries 2  429s 0  dead 1  10s  ETA 30s  RSS 45.0 MiB\x1b[K" +
		"\r\x1b[Klog record\nanother\n" +
		"\r[========================]  100.0%  200/200 nodes  5.0 nodes/s  2.50 MB/s  in flight 0  retries 0  429s 0  dead 1  40s  ETA 0s\x1b[K\n"
	if buf.String() != want {
		t.Fatalf("got  %q\nwant %q", buf.String(), want)
	}
}

// Narrower terminals get fewer figures, the least wanted dropped first,
// and never a line that reaches the last column.
func TestBarLineFits(t *testing.T) {
	s := snapshot{Done: 12345, Total: 80000, InFlight: 8, Retries: 17, Status429: 3, Dead: 2, Bytes: 9_000_000_000,
		Elapsed: 3723 * time.Second, Memory: Memory{RSS: 3 << 30}}
	eta := etaOf(s)
	tests := []struct {
		width int
		want  string
	}{
		{160, "[===>                    ]  15.4%  12345/80000 nodes  3.3 nodes/s  2.42 MB/s  in flight 8  retries 17  429s 3  dead 2  1h02m  ETA 5h40m  RSS 3.00 GiB"},
		{120, "[==>            ]  15.4%  12345/80000 nodes  3.3 nodes/s  2.42 MB/s  in flight 8  retries 17  429s 3  dead 2  ETA 5h40m"},
		{80, "[==>                ]  15.4%  12345/80000 nodes  3.3 nodes/s  dead 2  ETA 5h40m"},
		{60, "15.4%  12345/80000 nodes  3.3 nodes/s  ETA 5h40m"},
		{40, "15.4%  12345/80000 nodes  3.3 nodes/s"},
		{20, "15.4%"},
		{8, "15.4%"},
		{4, "15."},
	}
	for _, tt := range tests {
		got := barLine(s, 3.3, 2_420_000, eta, tt.width)
		if got != tt.want {
			t.Errorf("width %d:\ngot  %q\nwant %q", tt.width, got, tt.want)
		}
		if len(got) >= tt.width {
			t.Errorf("width %d: line of %d cells", tt.width, len(got))
		}
	}
}

// The rate is over the last ~10 s, so one slow second does not show 0/s.
func TestProgressRateSmoothed(t *testing.T) {
	p := newProgress(&bytes.Buffer{}, ProgressText, t0)
	steps := []struct {
		sec  int
		done int64
		want float64
	}{
		{1, 150, 150}, // first second: all we know
		{2, 150, 75},  // nothing finished this second: not 0
		{3, 153, 51},
		{10, 300, 30},
		{12, 300, 150.0 / 10}, // base is now the sample at 2 s (done 150)
		{25, 300, 0},          // quiet for over 10 s: 0
	}
	for _, st := range steps {
		rate, _ := p.rates(t0.Add(time.Duration(st.sec)*time.Second), snapshot{Done: st.done})
		if rate != st.want {
			t.Errorf("at %ds: rate %v, want %v", st.sec, rate, st.want)
		}
	}
	if len(p.samples) > 3 {
		t.Errorf("%d samples kept, want the window's only", len(p.samples))
	}
}

func TestProgressAuto(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "progress.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if p := newProgress(f, ProgressAuto, t0); p.bar || p.handler == nil {
		t.Fatal("a plain file got a progress bar")
	}
	if p := newProgress(&bytes.Buffer{}, ProgressAuto, t0); p.bar {
		t.Fatal("a buffer got a progress bar")
	}
	for in, want := range map[string]ProgressFormat{"": ProgressAuto, "auto": ProgressAuto, "bar": ProgressBar, "text": ProgressText, "json": ProgressJSON} {
		if got, err := ParseProgressFormat(in); err != nil || got != want {
			t.Errorf("ParseProgressFormat(%q) = %v, %v", in, got, err)
		}
	}
	if _, err := ParseProgressFormat("xml"); err == nil {
		t.Error("xml accepted")
	}
}

// lineWriter passes each Write to a channel; the monitor writes one record
// per Write.
type lineWriter chan string

func (w lineWriter) Write(p []byte) (int, error) {
	w <- string(p)
	return len(p), nil
}

// The runner reports on each tick of the injected clock (every
// Interval), with that clock's time, and once more at the end.
func TestRunProgress(t *testing.T) {
	nodes := testNodes(4)
	p, _ := NewPlan(nodes, PlanOptions{Size: 2})
	f, entered, release := blockingFetcher(map[string]bool{nodes[2]: true}, false)
	clk := clock.NewFake(t0)
	out := make(lineWriter, 10)
	o := quietOptions(clk)
	o.Concurrency = 1
	o.Interval = 2 * time.Second
	o.Progress, o.ProgressFormat = out, ProgressText
	errc := make(chan error)
	go func() {
		_, err := Run(context.Background(), p, f, newMemStore(), o)
		errc <- err
	}()
	<-entered // nodes 0 and 1 done, node 2 in flight
	// The monitor's tick is the only timer of the run.
	if err := clk.WaitTimers(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	if at, _ := clk.Next(); at != t0.Add(2*time.Second) {
		t.Errorf("the monitor ticks at +%v, want every Interval (2s)", at.Sub(t0))
	}
	clk.Advance(2 * time.Second)
	line := <-out
	for _, want := range []string{"time=2026-11-21T02:00:02.000Z", "done=2 total=4", "nodes_per_s=1", "in_flight=1", "elapsed_s=2 eta_s=2 rss_mib=30"} {
		if !strings.Contains(line, want) {
			t.Errorf("progress %q lacks %q", line, want)
		}
	}
	// The next tick is due at +4s: the clock stays short of it, so what
	// follows is the final report alone.
	clk.Advance(time.Second)
	close(release)
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	line = <-out
	for _, want := range []string{"time=2026-11-21T02:00:03.000Z", "done=4 total=4", "in_flight=0", "elapsed_s=3 eta_s=0"} {
		if !strings.Contains(line, want) {
			t.Errorf("final progress %q lacks %q", line, want)
		}
	}
	if len(out) != 0 {
		t.Errorf("extra progress output: %q", <-out)
	}
}

// syncBuffer is a bytes.Buffer safe for the logger's concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// With Adapt, each monitor step feeds the counters to the Adapter and
// resizes the pond pool when it decides so.
func TestMonitorAdapts(t *testing.T) {
	clk := clock.NewFake(t0)
	f := newFakeFetcher(nil)
	var logs syncBuffer
	o := quietOptions(clk)
	o.Concurrency = 2
	o.Adapt = &AdaptOptions{Max: 4, Interval: time.Second}
	o.Stats = f // the 429s the adapter reacts to
	o.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	r, err := newRunner(f, o)
	if err != nil {
		t.Fatal(err)
	}
	r.start = clk.Now()
	r.pool = pond.NewPool(r.o.Concurrency)
	defer r.pool.StopAndWait()
	m, err := r.newMonitor()
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		ok, s429 int64
		size     int
	}{
		{ok: 10, size: 3},          // 10 nodes at 100 ms: grow
		{ok: 20, size: 4},          // grow to Max
		{ok: 30, size: 4},          // hold at Max
		{ok: 35, s429: 2, size: 3}, // 429s: shrink by a quarter
		{ok: 35, s429: 2, size: 3}, // nothing finished: hold
	}
	for i, st := range steps {
		r.ok.Store(st.ok)
		r.latSum.Store(st.ok * int64(100*time.Millisecond))
		f.mu.Lock()
		f.stats.Status429 = st.s429
		f.mu.Unlock()
		clk.Advance(time.Second)
		m.step(clk.Now())
		if got := r.pool.MaxConcurrency(); got != st.size {
			t.Fatalf("step %d: pool size %d, want %d\n%s", i, got, st.size, logs.String())
		}
	}
	for _, want := range []string{"size=3 reason=\"rate below target, latency holds\"", "size=3 reason=\"429s or stalls\""} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, logs.String())
		}
	}
}

func TestSummaryString(t *testing.T) {
	s := Summary{Nodes: 40, Batches: 4, SkippedBatches: 1, SkippedNodes: 4, Committed: 2, Processed: 36, OK: 34, Dead: 2, Dropped: 0,
		Requests: 41, Retries: 5, Status429: 1, Bytes: 12_000_000, WireBytes: 12_345_678, Elapsed: 11400 * time.Millisecond, Mean: 1164 * time.Millisecond,
		P50: 1100 * time.Millisecond, P95: 2300 * time.Millisecond, Max: 2500 * time.Millisecond, PeakRSS: 45 << 20, Interrupted: true, Abandoned: 2}
	want := "36 nodes in 11.4s (3.16 nodes/s): 34 ok, 2 dead; 41 requests, 5 retries, 1 429; 12.3 MB read\n" +
		"fetch latency p50 1.1s, p95 2.3s, max 2.5s; 0s waited for the rate limit; peak RSS 45.0 MiB\n" +
		"1 of 4 batches (4 nodes) already done by an earlier run\n" +
		"interrupted: 3 of 4 batches committed, 0 finished nodes of unfinished batches dropped, 2 in-flight nodes abandoned; run again to resume\n"
	if got := s.String(); got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	if (Summary{}).Throughput() != 0 {
		t.Fatal("throughput of an empty summary")
	}
	one := Summary{Processed: 1, OK: 1, Requests: 1, Retries: 1}
	if got := one.String(); !strings.HasPrefix(got, "1 node in 0s (0.00 nodes/s): 1 ok, 0 dead; 1 request, 1 retry, 0 429s; 0 B read") {
		t.Errorf("singulars: %q", got)
	}
}

func TestSummaryRecord(t *testing.T) {
	s := Summary{Nodes: 10, SkippedNodes: 2, OK: 7, Dead: 1, Processed: 8, Requests: 12, Retries: 4, Status429: 2,
		ByStatus: map[int]int64{200: 8, 429: 2, 503: 1}, WireBytes: 5000, BodyBytes: 9000, Bytes: 8000,
		Start: t0, End: t0.Add(1500 * time.Millisecond), Elapsed: 1500 * time.Millisecond, Waited: 250 * time.Millisecond,
		P50: 20 * time.Millisecond, P95: 90 * time.Millisecond, Max: 100 * time.Millisecond, PeakRSS: 1 << 20}
	r := s.Record(1)
	want := store.RunRequests{Total: 12, Status2xx: 8, Status4xx: 2, Status5xx: 1, NoResponse: 1}
	if r.Requests != want {
		t.Errorf("requests %+v, want %+v", r.Requests, want)
	}
	if r.Nodes != (store.RunNodes{Planned: 10, OK: 7, Dead: 1, Skipped: 2}) || r.DurationSeconds != 1.5 || r.WaitedSeconds != 0.25 ||
		r.Latency.P95 != 90 || r.ExitStatus != 1 || r.ByStatus["429"] != 2 || !r.End.Equal(t0.Add(1500*time.Millisecond)) {
		t.Errorf("record %+v", r)
	}
}
