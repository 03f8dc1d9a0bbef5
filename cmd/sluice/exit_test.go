package main

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"

	"github.com/sluicehq/sluice/batch"
	"github.com/sluicehq/sluice/bench/mockapi"
	"github.com/sluicehq/sluice/store"
)

// runBin runs the real binary and returns its exit status and stderr.
func runBin(t *testing.T, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(binary(t), args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		t.Fatal(err)
	}
	return cmd.ProcessState.ExitCode(), stderr.String()
}

// hangingServer answers no request until the test ends; requested is
// closed when the first request arrives.
func hangingServer(t *testing.T) (url string, requested <-chan struct{}) {
	t.Helper()
	req, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		once.Do(func() { close(req) })
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(release); srv.Close() })
	return srv.URL, req
}

// closedPort is a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr
}

// TestExitStatus holds each row of the README's exit-status table with
// the real binary.
func TestExitStatus(t *testing.T) {
	t.Parallel()
	inst := startMock(t, mockapi.Config{Seed: 29, Sizes: mustSizes(t, "fixed:2KiB"),
		Overrides: map[string]mockapi.Override{"AS666": {Fault: mockapi.Fault502}}})
	nodes := writeNodes(t, []string{"AS1", "AS2", "AS3"})
	job := func(out string, extra ...string) []string {
		return append([]string{"ripestat", "--nodes", nodes, "--out", out, "--date", e2eDay,
			"--base-url", inst.URL, "--rate", "0", "--progress", "none", "--max-attempts", "1"}, extra...)
	}
	tmp := t.TempDir()
	file := filepath.Join(tmp, "a-file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(tmp, "other")
	if code, stderr := runBin(t, job(other)...); code != exitOK {
		t.Fatalf("setup run: exit %d: %s", code, tail(stderr))
	}

	rows := []struct {
		name string
		args []string
		want int
	}{
		{"all done", job(filepath.Join(tmp, "ok")), exitOK},
		{"dead letters", []string{"ripestat", "--nodes", writeNodes(t, []string{"AS1", "AS666"}), "--out", filepath.Join(tmp, "dead"),
			"--date", e2eDay, "--base-url", inst.URL, "--rate", "0", "--progress", "none", "--max-attempts", "1"}, exitFailed},
		{"missing required flag", []string{"ripestat", "--out", filepath.Join(tmp, "x")}, exitUsage},
		{"unknown command", []string{"scrap"}, exitUsage},
		{"bad flag value", []string{"ripestat", "--nodes", nodes, "--out", filepath.Join(tmp, "x"), "--concurrency", "many"}, exitUsage},
		{"bad header", job(filepath.Join(tmp, "hdr"), "--header", "X(A): b"), exitUsage},
		{"absurd batch size", job(filepath.Join(tmp, "huge"), "--batch-size", "100000000"), exitUsage},
		{"folder of another run", job(other, "--date", "2026-11-22"), exitUsage},
		{"out is a file", job(file), exitUsage},
		{"export of a missing folder", []string{"export", filepath.Join(tmp, "nowhere")}, exitUsage},
		{"server unreachable", []string{"ripestat", "--nodes", nodes, "--out", filepath.Join(tmp, "down"), "--date", e2eDay,
			"--base-url", closedPort(t), "--rate", "0", "--progress", "none", "--max-attempts", "1"}, exitRetry},
	}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			t.Parallel()
			if code, stderr := runBin(t, r.args...); code != r.want {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, r.want, tail(stderr))
			}
		})
	}
}

// TestExitStatusLiveRun: a folder locked by a live run is a usage error
// (2) for a second run, and SIGTERM makes the live run exit 3. The
// server answers nothing until the test ends, and no client timeout can
// fire first, so the one node can only end by the interruption (with
// --drain-timeout 0 the drain cuts it at once: batch's
// TestRunInterruptBeforeDerivedContextsHear holds the race that once
// made that a dead letter and exit 4).
func TestExitStatusLiveRun(t *testing.T) {
	t.Parallel()
	url, requested := hangingServer(t)
	out := filepath.Join(t.TempDir(), "out")
	args := []string{"scrape", "--nodes", writeNodes(t, []string{"AS1"}), "--out", out, "--url", url + "/{node}",
		"--progress", "none", "--drain-timeout", "0s", "--stall-timeout", "1h"} // no client timeout can end the fetch first
	live := exec.Command(binary(t), args...)
	var stderr bytes.Buffer
	live.Stderr = &stderr
	if err := live.Start(); err != nil {
		t.Fatal(err)
	}
	<-requested // the folder is open and locked: the run is fetching
	if code, s := runBin(t, args...); code != exitUsage {
		t.Errorf("second run on a locked folder: exit %d, want %d: %s", code, exitUsage, tail(s))
	}
	_ = live.Process.Signal(syscall.SIGTERM)
	_ = live.Wait()
	if code := live.ProcessState.ExitCode(); code != exitInterrupted {
		t.Errorf("after SIGTERM: exit %d, want %d: %s", code, exitInterrupted, tail(stderr.String()))
	}
}

// exitStatus maps the errors no command wraps itself.
func TestExitStatusOfErrors(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		err  error
		want int
	}{
		{nil, exitOK},
		{failure(errors.New("2 nodes dead-lettered")), exitFailed},
		{fmt.Errorf("store: open x: %w", store.ErrLocked), exitUsage},
		{fmt.Errorf("store: open x: %w", store.ErrParamsMismatch), exitUsage},
		{fmt.Errorf("run: %w", batch.ErrInvalidJob), exitUsage},
		{errors.New(`Required flag "nodes" not set`), exitUsage},
		{fmt.Errorf("batch: %w", batch.ErrInterrupted), exitInterrupted},
		{fmt.Errorf("batch: commit: %w", &os.PathError{Op: "write", Path: "x", Err: syscall.ENOSPC}), exitRetry},
		{fmt.Errorf("batch: commit: %w", syscall.EIO), exitRetry},
	} {
		if got := exitStatus(tt.err); got != tt.want {
			t.Errorf("exitStatus(%v) = %d, want %d", tt.err, got, tt.want)
		}
	}
}
