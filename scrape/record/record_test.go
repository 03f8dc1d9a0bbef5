package record_test

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/scrape"
	"github.com/sluicehq/sluice/scrape/clock"
	"github.com/sluicehq/sluice/scrape/record"
)

// TestRecordReplayEqualsLive records a run against the mock with every
// fault switched on and replays it through the scrape client: every node
// ends the same way after the same number of attempts.
func TestRecordReplayEqualsLive(t *testing.T) {
	dir := t.TempDir()
	nodes := testNodes(30)
	live, liveStats := recordRun(t, dir, nodes)
	if !live["AS64999"].failed || !live["AS64998"].failed {
		t.Fatalf("the always-failing nodes did not fail: %v %v", live["AS64999"], live["AS64998"])
	}
	f, err := record.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Skipped) > 0 {
		t.Errorf("a closed recording has skipped files: %v", f.Skipped)
	}
	total := 0
	for _, as := range f.Attempts {
		total += len(as)
	}
	if int64(total) != liveStats.Requests {
		t.Errorf("%d attempts recorded, the client sent %d", total, liveStats.Requests)
	}
	c, tr := replayClient(t, f, "http://replay.invalid")
	got := run(t, c, nodes)
	if !sameOutcomes(t, "replay", live, got) {
		for node, want := range live {
			if got[node] != want {
				for _, a := range f.Attempts[node] {
					t.Logf("%s %d: %d %s %d bytes %q", a.Node, a.Seq, a.Status, a.End, a.BodyBytes, a.Err)
				}
			}
		}
	}
	// Stalls may differ: a live client slow enough to let its stall timer
	// fire after the body's last byte counts a stall the replay's fast
	// client need not (the attempt fails either way).
	st := c.Stats()
	if st.Requests != liveStats.Requests || st.Retries != liveStats.Retries ||
		st.Status429 != liveStats.Status429 || st.Status5xx != liveStats.Status5xx || st.Failures != liveStats.Failures {
		t.Errorf("replay stats %+v, live %+v", st, liveStats)
		for _, as := range f.Attempts {
			for _, a := range as {
				if a.End != record.EndComplete {
					t.Logf("%s %d: %d %s %d bytes %q", a.Node, a.Seq, a.Status, a.End, a.BodyBytes, a.Err)
				}
			}
		}
	}
	if u := tr.Unrecorded(); len(u) > 0 {
		t.Errorf("unrecorded requests: %v", u)
	}
	if u := tr.Unused(); len(u) > 0 {
		t.Errorf("%d recorded attempts unused", len(u))
	}
}

// TestRecordRedactsSecrets: no secret of the run is in any file.
func TestRecordRedactsSecrets(t *testing.T) {
	dir := t.TempDir()
	recordRun(t, dir, testNodes(4))
	filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(path, ".zst") {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range []string{"s3cret-api-key", "header-secret-value"} {
			if strings.Contains(string(b), s) {
				t.Errorf("%s holds the secret %q", path, s)
			}
		}
		return nil
	})
}

// TestServeEqualsLive serves the recording over HTTP and runs the client
// against it: the same ends after the same attempts. (Bytes on the wire
// may differ: a TCP reset discards what the client had not read yet.)
//
// The client runs on simulated time, which stands still while it reads
// the socket, so a loaded machine cannot make its stall timer fire on a
// body that is merely slow to come; a recorded stall holds the
// connection for 20 ms of real time and resets it (the attempt fails
// either way: a reset instead of the client giving up). Keep-alives are
// off: net/http sends a GET again by itself when a reused connection
// closes before any answer, which would spend two recorded attempts on
// one of the client's.
func TestServeEqualsLive(t *testing.T) {
	dir := t.TempDir()
	nodes := testNodes(20)
	live, liveStats := recordRun(t, dir, nodes)
	srv := record.NewTestServer(t, dir, record.ServerOptions{Hold: 20 * time.Millisecond})
	o := clientOptions(srv.URL)
	o.Clock = clock.NewSim(time.Now())
	o.WrapTransport = func(rt http.RoundTripper) http.RoundTripper {
		rt.(*http.Transport).DisableKeepAlives = true
		return rt
	}
	c, err := scrape.New(o)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	got := run(t, c, nodes)
	if !sameOutcomes(t, "served", live, got) {
		f, _ := record.Open(dir)
		for node, want := range live {
			if got[node] != want {
				for _, a := range f.Attempts[node] {
					t.Logf("%s %d: %d %s %d bytes idle %v %q hdr %v", a.Node, a.Seq, a.Status, a.End, a.BodyBytes, a.Idle, a.Err, a.Header)
				}
			}
		}
	}
	// Stalls may differ: a live client slow enough to let its stall timer
	// fire after the body's last byte counts a stall the replay's fast
	// client need not (the attempt fails either way).
	st := c.Stats()
	if st.Requests != liveStats.Requests || st.Retries != liveStats.Retries || st.Failures != liveStats.Failures {
		t.Errorf("served stats %+v, live %+v", st, liveStats)
	}
}
