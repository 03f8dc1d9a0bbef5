package main

import (
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/bench/mockapi"
	"github.com/sluicehq/sluice/scrape"
	"github.com/sluicehq/sluice/scrape/record"
	"github.com/sluicehq/sluice/store"
)

// deadLetter is what must match between a live run and its replay.
type deadLetter struct {
	status, attempts int
}

// runResult reads a run's records (durations zeroed: they may differ) and
// dead letters (node, status, attempts: the error text of a network
// failure names the live connection's addresses).
func runResult(t *testing.T, dir string) (map[string]store.Record, map[string]deadLetter) {
	t.Helper()
	recs := map[string]store.Record{}
	if err := store.ReadRecords(dir, func(r store.Record) error {
		r.DurationMS = 0
		recs[r.Node] = r
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	dl, err := store.ReadDeadLetters(dir)
	if err != nil {
		t.Fatal(err)
	}
	dead := map[string]deadLetter{}
	for _, d := range dl {
		dead[d.Node] = deadLetter{d.Status, d.Attempts}
	}
	return recs, dead
}

func sameRun(t *testing.T, what, live, got string) {
	t.Helper()
	liveRecs, liveDead := runResult(t, live)
	gotRecs, gotDead := runResult(t, got)
	if !reflect.DeepEqual(gotDead, liveDead) {
		t.Errorf("%s: dead letters %v, live run %v", what, gotDead, liveDead)
	}
	if len(gotRecs) != len(liveRecs) {
		t.Errorf("%s: %d records, live run %d", what, len(gotRecs), len(liveRecs))
	}
	for node, want := range liveRecs {
		if g := gotRecs[node]; !reflect.DeepEqual(g, want) {
			t.Errorf("%s: node %s: %+v, live run %+v", what, node, g, want)
		}
	}
}

// TestRecordReplayServeEveryFault records a ripestat run against the mock
// with every fault on, then replays the recording (sluice replay) and
// serves it (the handler of serve-captures, with sluice ripestat against
// it): each gives the live run's records, attempts per node included, and
// dead letters.
func TestRecordReplayServeEveryFault(t *testing.T) {
	t.Parallel()
	inst := startMock(t, mockapi.Config{
		Seed: 23,
		Faults: mustFaults(t, "500=0.03,502=0.03,503=0.005,html=0.03,reset=0.03,truncate=0.03,stall=0.02,"+
			"length=0.03,maintenance=0.03,error=0.03,stall-for=2s"),
		Sizes: mustSizes(t, "lognormal:4KiB:1:64KiB"),
		Overrides: map[string]mockapi.Override{
			"AS1": {Fault: mockapi.Fault502},   // always fails: a dead letter
			"AS2": {Fault: mockapi.FaultStall}, // always stalls: a dead letter
		},
	})
	nodes := append(demoNodes(150), "AS1", "AS2")
	nodesFile := writeNodes(t, nodes)
	tmp := t.TempDir()
	rec := filepath.Join(tmp, "rec")
	fetch := []string{"--nodes", nodesFile, "--date", e2eDay, "--sourceapp", "e2e", "--rate", "0",
		"--concurrency", "16", "--batch-size", "40", "--stall-timeout", "500ms", "--max-attempts", "4",
		"--min-backoff", "10ms", "--max-backoff", "50ms", "--progress", "none"}
	live := filepath.Join(tmp, "live")
	code, stderr := runCLI(t, append([]string{"ripestat", "--out", live, "--base-url", inst.URL, "--record", rec}, fetch...)...)
	if code != exitFailed {
		t.Fatalf("live run: exit %d, want %d (dead letters): %s", code, exitFailed, tail(stderr))
	}
	st := inst.Stats(t)
	for _, f := range mockapi.AllFaults() {
		if st.Faults[f] == 0 && f != mockapi.Fault503 {
			t.Errorf("fault %s never struck: the test does not cover it", f)
		}
	}

	replayed := filepath.Join(tmp, "replayed")
	code, stderr = runCLI(t, "replay", "--captures", rec, "--out", replayed, "--nodes", nodesFile,
		"--status-path", "status", "--concurrency", "16", "--batch-size", "40", "--progress", "none")
	if code != exitFailed {
		t.Fatalf("replay: exit %d, want %d: %s", code, exitFailed, tail(stderr))
	}
	if strings.Contains(stderr, "no recorded exchange") || strings.Contains(stderr, "replay: skipped") {
		t.Errorf("replay of a whole recording: %s", tail(stderr))
	}
	sameRun(t, "replay", live, replayed)
	// The live run's back-offs passed on the simulated clock, none on the
	// real one (a real wait would not move it).
	if !strings.Contains(stderr, "passed in simulated time") {
		t.Errorf("replay did not simulate the recorded waits: %s", tail(stderr))
	}

	f, err := record.Open(rec)
	if err != nil {
		t.Fatal(err)
	}
	h, err := record.NewHandler(f, record.ServerOptions{Strict: t})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	served := filepath.Join(tmp, "served")
	// Over a socket, on the real clock: a longer stall timeout than the
	// recorded 300 ms (a recorded stall holds for 2 s, so it still ends
	// as a stall), so that a loaded machine delaying a body does not look
	// like a stall and spend an attempt the recording does not have.
	code, stderr = runCLI(t, append(append([]string{"ripestat", "--out", served, "--base-url", srv.URL}, fetch...),
		"--stall-timeout", "1s")...)
	if code != exitFailed {
		t.Fatalf("run against serve-captures: exit %d, want %d: %s", code, exitFailed, tail(stderr))
	}
	sameRun(t, "served", live, served)
}

// TestReplayOfKilledRecording: a recording whose run died mid-attempt
// (a temporary file, a body without its metadata, no final index)
// replays from its complete records and says what it skipped.
func TestReplayOfKilledRecording(t *testing.T) {
	t.Parallel()
	inst := startMock(t, mockapi.Config{Seed: 29, Sizes: mustSizes(t, "fixed:8KiB")})
	nodes := demoNodes(20)
	nodesFile := writeNodes(t, nodes)
	tmp := t.TempDir()
	rec := filepath.Join(tmp, "rec")
	common := []string{"--nodes", nodesFile, "--batch-size", "10", "--progress", "none"}
	live := filepath.Join(tmp, "live")
	if code, stderr := runCLI(t, append([]string{"ripestat", "--out", live, "--date", e2eDay, "--base-url", inst.URL,
		"--rate", "0", "--max-attempts", "2", "--max-backoff", "10ms", "--record", rec}, common...)...); code != exitOK {
		t.Fatalf("live run: exit %d: %s", code, tail(stderr))
	}
	// What a SIGKILL mid-attempt leaves: the attempt's body is renamed
	// into place, its metadata is still a temporary file.
	victim := nodes[3]
	dir := filepath.Join(rec, record.NodesDir, scrape.CaptureName(victim))
	meta := filepath.Join(dir, "000001.json")
	if err := os.Rename(meta, filepath.Join(dir, ".000001.json.123.tmp")); err != nil {
		t.Fatal(err)
	}
	replayed := filepath.Join(tmp, "replayed")
	code, stderr := runCLI(t, append([]string{"replay", "--captures", rec, "--out", replayed, "--status-path", "status"}, common...)...)
	if code != exitFailed {
		t.Fatalf("replay: exit %d, want %d (the victim has no record): %s", code, exitFailed, tail(stderr))
	}
	for _, want := range []string{"skipped 2", ".000001.json.123.tmp: temporary file", "000001.body.zst: body without metadata", "no recorded exchange"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("replay's stderr lacks %q:\n%s", want, tail(stderr))
		}
	}
	liveRecs, _ := runResult(t, live)
	gotRecs, gotDead := runResult(t, replayed)
	if _, ok := gotDead[victim]; !ok || len(gotDead) != 1 {
		dl, _ := store.ReadDeadLetters(replayed)
		t.Errorf("dead letters %v, want only %s: %+v", gotDead, victim, dl)
	}
	delete(liveRecs, victim)
	if !reflect.DeepEqual(gotRecs, liveRecs) {
		t.Errorf("replay records differ from the live run's complete ones")
	}
}

// TestServeCapturesFlags: bad flags of serve-captures are usage errors
// that name the flag.
func TestServeCapturesFlags(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"serve-captures", "--captures", dir, "--pace", "slow"}, "--pace"},
		{[]string{"serve-captures", "--captures", dir, "--match", "url"}, "--match"},
		{[]string{"serve-captures", "--captures", dir}, "not a recording"},
	} {
		code, stderr := runCLI(t, tt.args...)
		if code != exitUsage || !strings.Contains(stderr, tt.want) {
			t.Errorf("%v: exit %d, stderr %q; want %d naming %s", tt.args, code, tail(stderr), exitUsage, tt.want)
		}
	}
}

// TestRecordWriteErrorExits4: when the recording folder refuses a write
// (a file where a node's folder goes, a folder where an attempt's
// metadata goes: real failures of the file system), the run's own output
// is committed whole, the recording keeps what it could, and the run
// exits 4 with an error that names the path; a replay of the folder says
// it is incomplete.
func TestRecordWriteErrorExits4(t *testing.T) {
	t.Parallel()
	inst := startMock(t, mockapi.Config{Seed: 31, Sizes: mustSizes(t, "fixed:4KiB")})
	nodes := demoNodes(12)
	nodesFile := writeNodes(t, nodes)
	for _, tt := range []struct {
		name  string
		block func(t *testing.T, rec string) string // returns the path the error must name
	}{
		{"node folder is a file", func(t *testing.T, rec string) string {
			p := filepath.Join(rec, record.NodesDir, scrape.CaptureName(nodes[2]))
			must(t, os.MkdirAll(filepath.Dir(p), 0o755))
			must(t, os.WriteFile(p, []byte("in the way"), 0o644))
			return p
		}},
		{"metadata is a folder", func(t *testing.T, rec string) string {
			p := filepath.Join(rec, record.NodesDir, scrape.CaptureName(nodes[5]), "000001.json")
			must(t, os.MkdirAll(p, 0o755))
			return p
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tmp := t.TempDir()
			rec := filepath.Join(tmp, "rec")
			path := tt.block(t, rec)
			out := filepath.Join(tmp, "out")
			code, stderr := runCLI(t, "ripestat", "--out", out, "--date", e2eDay, "--base-url", inst.URL, "--rate", "0",
				"--nodes", nodesFile, "--batch-size", "5", "--progress", "none", "--record", rec)
			if code != exitRetry {
				t.Fatalf("exit %d, want %d: %s", code, exitRetry, tail(stderr))
			}
			if !strings.Contains(stderr, "recording is incomplete") || !strings.Contains(stderr, path) {
				t.Errorf("stderr does not name %s as the recording's failure:\n%s", path, tail(stderr))
			}
			recs, dead := runResult(t, out)
			if len(recs) != len(nodes) || len(dead) != 0 {
				t.Errorf("the run committed %d records and %d dead letters, want all %d nodes", len(recs), len(dead), len(nodes))
			}
			f, err := record.Open(rec)
			if err != nil {
				t.Fatal(err)
			}
			if f.Index.Incomplete == "" || len(f.Attempts) < len(nodes)-1 {
				t.Errorf("recording: incomplete %q, %d nodes recorded", f.Index.Incomplete, len(f.Attempts))
			}
			code, stderr = runCLI(t, "replay", "--captures", rec, "--out", filepath.Join(tmp, "replayed"), "--nodes", nodesFile,
				"--status-path", "status", "--batch-size", "5", "--progress", "none")
			if code != exitFailed || !strings.Contains(stderr, "could not write every attempt") {
				t.Errorf("replay: exit %d, want %d (a node is missing) and a warning:\n%s", code, exitFailed, tail(stderr))
			}
		})
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
