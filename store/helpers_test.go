package store

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gofrs/flock"
)

// t0 is the fake clock's start; clocks advance one second per reading.
var t0 = time.Date(2026, 11, 21, 3, 0, 0, 0, time.UTC)

func fakeClock() func() time.Time {
	now := t0
	return func() time.Time {
		now = now.Add(time.Second)
		return now
	}
}

var testParams = Params{
	URL:         "https://stat.ripe.net/data/bgp-updates/data.json?resource={node}&starttime={start}&endtime={end}",
	Paths:       []string{"data.updates[*].timestamp", "status"},
	Mode:        "stream",
	Start:       "2022-09-12T00:00:00Z",
	End:         "2022-09-13T00:00:00Z",
	BatchSize:   4,
	Bucket:      "1h",
	Unit:        "s",
	NodesSHA256: "5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8",
}

func ptr(v int64) *int64 { return &v }

// rec returns a plausible record for node: count derived from the name so
// that different nodes differ.
func rec(node string, count int64) Record {
	r := Record{Node: node, Count: count, Invalid: count % 3, Bytes: 190*count + 120,
		Attempts: 1, DurationMS: 10 + count, Mode: "stream"}
	if count > 0 {
		r.First, r.Last = ptr(1662940800+count), ptr(1662940800+100*count)
		r.Buckets = Buckets{{"2022-09-12T00:00:00Z", count - count/2}}
		if count/2 != 0 {
			r.Buckets = append(r.Buckets, Bucket{"2022-09-12T01:00:00Z", count / 2})
		}
	}
	return r
}

func deadLetter(node string, status int) DeadLetter {
	return DeadLetter{Node: node, Error: fmt.Sprintf("HTTP %d after 5 attempts", status), Status: status, Attempts: 5}
}

// openRun opens dir with a fake clock and a logger writing to logs.
func openRun(t *testing.T, dir string, logs *bytes.Buffer) *Run {
	t.Helper()
	o := OpenOptions{Now: fakeClock()}
	if logs != nil {
		o.Logger = slog.New(slog.NewTextHandler(logs, nil))
	}
	r, err := Open(dir, testParams, o)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return r
}

func mustClose(t *testing.T, r *Run) {
	t.Helper()
	if err := r.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

// state is what a run folder holds, independent of batch numbering.
type state struct {
	recs map[string]Record
	dead map[string]DeadLetter
}

// readState reads a folder the way users do, through ReadRecords and
// ReadDeadLetters. It fails the test if a node is in both.
func readState(t *testing.T, dir string) state {
	t.Helper()
	s := state{recs: map[string]Record{}}
	if err := ReadRecords(dir, func(r Record) error { s.recs[r.Node] = r; return nil }); err != nil {
		t.Fatalf("ReadRecords: %v", err)
	}
	dead, err := ReadDeadLetters(dir)
	if err != nil {
		t.Fatalf("ReadDeadLetters: %v", err)
	}
	s.dead = map[string]DeadLetter{}
	for _, d := range dead {
		s.dead[d.Node] = d
	}
	for node := range s.dead {
		if _, ok := s.recs[node]; ok {
			t.Errorf("node %s is in a batch file and in the dead-letter file", node)
		}
	}
	return s
}

func (s state) nodes() []string {
	return slices.Sorted(func(yield func(string) bool) {
		for n := range s.recs {
			if !yield(n) {
				return
			}
		}
		for n := range s.dead {
			if !yield(n) {
				return
			}
		}
	})
}

// equal compares two states, ignoring dead-letter times (a redo gives up
// at another instant).
func (s state) equal(o state) bool {
	if !maps.EqualFunc(s.recs, o.recs, recEqual) {
		return false
	}
	return maps.EqualFunc(s.dead, o.dead, func(a, b DeadLetter) bool {
		a.Time, b.Time = time.Time{}, time.Time{}
		return a == b
	})
}

func recEqual(a, b Record) bool {
	pe := func(x, y *int64) bool { return (x == nil) == (y == nil) && (x == nil || *x == *y) }
	return a.Node == b.Node && a.Count == b.Count && a.Invalid == b.Invalid && pe(a.First, b.First) &&
		pe(a.Last, b.Last) && a.Buckets.Equal(b.Buckets) && a.Bytes == b.Bytes &&
		a.Attempts == b.Attempts && a.DurationMS == b.DurationMS && a.Mode == b.Mode
}

func (s state) String() string {
	var b strings.Builder
	for _, n := range slices.Sorted(maps.Keys(s.recs)) {
		fmt.Fprintf(&b, "rec %s count=%d; ", n, s.recs[n].Count)
	}
	for _, n := range slices.Sorted(maps.Keys(s.dead)) {
		fmt.Fprintf(&b, "dead %s batch=%d status=%d; ", n, s.dead[n].Batch, s.dead[n].Status)
	}
	return b.String()
}

// leftovers lists files that a clean folder does not hold.
func leftovers(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var bad []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), tempPrefix) || strings.HasSuffix(e.Name(), nextSuffix) {
			bad = append(bad, e.Name())
		}
	}
	return bad
}

// deadPID returns the PID of a process that has exited.
func deadPID(t *testing.T) int {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	if err := cmd.Run(); err != nil {
		t.Fatalf("run child: %v", err)
	}
	return cmd.ProcessState.Pid()
}

// lockFree reports whether no process holds dir's lock, by taking and
// releasing it.
func lockFree(t *testing.T, dir string) bool {
	t.Helper()
	fl := flock.New(filepath.Join(dir, lockName))
	ok, err := fl.TryLock()
	if err != nil {
		t.Fatal(err)
	}
	if ok {
		must(t, fl.Unlock())
	}
	return ok
}

// kill makes dir look like its writer was killed: the lock file names a
// process that no longer holds it.
func kill(t *testing.T, dir string, pid int) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, lockName), fmt.Appendf(nil, "%d\n", pid), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestLockHolderChild is the child of lockHolder: it opens the folder,
// says so and holds it until killed.
func TestLockHolderChild(t *testing.T) {
	dir := os.Getenv("SLUICE_STORE_LOCK_CHILD")
	if dir == "" {
		t.Skip("child of lockHolder only")
	}
	if _, err := Open(dir, testParams, OpenOptions{}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println("locked")
	io.Copy(io.Discard, os.Stdin) // until killed
	os.Exit(0)
}

// lockHolder starts a child process that holds dir's lock, and returns
// once it does. The caller kills it.
func lockHolder(t *testing.T, dir string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestLockHolderChild$")
	cmd.Env = append(os.Environ(), "SLUICE_STORE_LOCK_CHILD="+dir)
	stdin, err := cmd.StdinPipe()
	must(t, err)
	out, err := cmd.StdoutPipe()
	must(t, err)
	must(t, cmd.Start())
	t.Cleanup(func() { stdin.Close(); cmd.Process.Kill(); cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if line != "locked\n" {
		t.Fatalf("lock holder: %q, %v", line, err)
	}
	return cmd
}
