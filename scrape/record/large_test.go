package record_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/sluicehq/sluice/batch"
	"github.com/sluicehq/sluice/bench/mockapi"
	"github.com/sluicehq/sluice/bench/testenv"
	"github.com/sluicehq/sluice/extract"
	"github.com/sluicehq/sluice/scrape"
	"github.com/sluicehq/sluice/scrape/clock"
	"github.com/sluicehq/sluice/scrape/record"
	"github.com/sluicehq/sluice/store"
)

// vmHWM reads the process's peak resident set (VmHWM) in bytes.
func vmHWM(t *testing.T) int64 {
	t.Helper()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skipf("no /proc/self/status: %v", err)
	}
	for _, line := range bytes.Split(b, []byte("\n")) {
		if v, ok := bytes.CutPrefix(line, []byte("VmHWM:")); ok {
			kb, err := strconv.ParseInt(string(bytes.TrimSpace(bytes.TrimSuffix(bytes.TrimSpace(v), []byte("kB")))), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmHWM in /proc/self/status")
	return 0
}

// resetHWM makes VmHWM start again from the current RSS (Linux 4.0+).
func resetHWM(t *testing.T) {
	t.Helper()
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		t.Skipf("cannot reset the peak RSS: %v", err)
	}
}

// TestLargeRecordServeReplay2GiB records a 2 GiB body (identity on the
// wire), serves it back, and replays it through the batch pipeline (the
// scrape client on a clock.Sim over a Transport, the extractor, the
// store), with the process's peak RSS (VmHWM, which counts the
// in-process mock too) growing by a bounded amount in each phase, not
// with the body. The peak is reset before each phase, so no phase (and
// no other test: this is the package's only Large one) raises another's.
func TestLargeRecordServeReplay2GiB(t *testing.T) {
	testenv.SkipUnlessLarge(t, "record, serve and replay a 2 GiB body")
	const size = 2 << 30
	inst, err := mockapi.Start(mockapi.Config{Seed: 1, Overrides: map[string]mockapi.Override{"AS3333": {Size: size}}}, "")
	if err != nil {
		t.Fatal(err)
	}
	defer inst.Close()
	dir := t.TempDir()
	tmpl := inst.URL + "/data/bgp-updates/data.json?resource={node}&starttime=2022-09-12T00:00:00&endtime=2022-09-13T00:00:00"
	rec, err := record.Create(dir, record.Options{Template: tmpl})
	if err != nil {
		t.Fatal(err)
	}
	get := func(c *http.Client, url string) int64 {
		req, err := http.NewRequest(http.MethodGet, url, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Accept-Encoding", "identity")
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		n, err := io.Copy(io.Discard, resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	url := func(base string) string {
		return base + "/data/bgp-updates/data.json?resource=AS3333&starttime=2022-09-12T00:00:00&endtime=2022-09-13T00:00:00"
	}
	resetHWM(t)
	base := vmHWM(t)
	start := time.Now()
	live := &http.Client{Transport: rec.Wrap(&http.Transport{DisableCompression: true})}
	n := get(live, url(inst.URL))
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	recorded := vmHWM(t)
	took := time.Since(start)

	resetHWM(t)
	base2 := vmHWM(t)
	srv := record.NewTestServer(t, dir, record.ServerOptions{})
	served := get(srv.Client(), url(srv.URL))
	peak := vmHWM(t)

	f, err := record.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	a := f.Attempts["AS3333"][0]
	t.Logf("%d MiB body recorded in %v into %d MiB of zstd; peak RSS +%d MiB recording, +%d MiB serving",
		n>>20, took.Round(time.Millisecond), a.BodyZstd>>20, (recorded-base)>>20, (peak-base2)>>20)
	if n < size*9/10 || served != n || a.BodyBytes != n || a.End != record.EndComplete {
		t.Errorf("live %d bytes, served %d, recorded %d (%s)", n, served, a.BodyBytes, a.End)
	}

	// The replay through the pipeline, and the count it must find: the
	// recorded body's timestamps, counted straight from the file.
	want := countUpdates(t, f, a)
	resetHWM(t)
	base3 := vmHWM(t)
	tr, err := record.NewTransport(f, record.TransportOptions{Strict: t})
	if err != nil {
		t.Fatal(err)
	}
	cl, err := scrape.New(scrape.Options{URL: tmpl, Clock: clock.NewSim(f.Start()),
		WrapTransport: func(http.RoundTripper) http.RoundTripper { return tr }})
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	out := t.TempDir()
	start = time.Now()
	sum, err := (&batch.Job{Nodes: []string{"AS3333"}, Out: out, Fetcher: cl, Source: "replay:" + dir,
		Options: batch.Options{Extract: extract.Options{Paths: []string{"data.updates[*].timestamp"}}, StatusPath: "status"},
	}).Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	replayed := vmHWM(t)
	var got []store.Record
	if err := store.ReadRecords(out, func(r store.Record) error { got = append(got, r); return nil }); err != nil {
		t.Fatal(err)
	}
	t.Logf("replayed through the pipeline in %v: %d timestamps; peak RSS +%d MiB", time.Since(start).Round(time.Millisecond),
		want, (replayed-base3)>>20)
	if sum.OK != 1 || len(got) != 1 || got[0].Count != want || got[0].Bytes != n || got[0].Attempts != 1 {
		t.Errorf("replay: summary %d ok, records %+v; want one record of %d timestamps, %d bytes, 1 attempt", sum.OK, got, want, n)
	}
	for what, grew := range map[string]int64{"recording": recorded - base, "serving": peak - base2, "replaying": replayed - base3} {
		if grew > 96<<20 {
			t.Errorf("peak RSS grew by %s while %s a %d MiB body, want < 96 MiB", fmtMiB(grew), what, n>>20)
		}
	}
}

func fmtMiB(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

// countUpdates counts the timestamps of a's recorded body, streamed.
func countUpdates(t *testing.T, f *record.Folder, a *record.Attempt) int64 {
	t.Helper()
	body, err := f.Body(a)
	if err != nil {
		t.Fatal(err)
	}
	defer body.Close()
	ex, err := extract.New(extract.Options{Paths: []string{"data.updates[*].timestamp"}})
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	if _, err := ex.Run(body, func(int, []byte) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatal("the recorded body holds no timestamp: the test proves nothing")
	}
	return n
}
