package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestSpeedLimitFlags: --speed-limit and --speed-time reach the client. A
// server that drips a body (a space every 30 ms, never silent long enough
// for the stall timeout) is cut by a minimum of 1KiB/s over 100 ms, and
// served in full when either flag is 0. Bad values are usage errors that
// name the flag.
func TestSpeedLimitFlags(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fl := w.(http.Flusher)
		fmt.Fprint(w, `{"data":{"updates":[{"timestamp":"2026-11-21T01:00:00"}`)
		fl.Flush()
		for range 10 { // the server's pace: a slow body, not a wait for a state
			select {
			case <-r.Context().Done():
				return
			case <-time.After(30 * time.Millisecond):
			}
			fmt.Fprint(w, " ")
			fl.Flush()
		}
		fmt.Fprint(w, `]}}`)
	}))
	t.Cleanup(srv.Close)
	nodes := writeNodes(t, []string{"AS1"})
	for _, tt := range []struct {
		name   string
		flags  []string
		want   int
		stderr string // in stderr, or for exitFailed in the dead letter
	}{
		{"too slow", []string{"--speed-limit", "1KiB", "--speed-time", "100ms"}, exitFailed, "too slow: under 1024 bytes/s for 100ms"},
		{"limit 0 is off", []string{"--speed-limit", "0", "--speed-time", "100ms"}, exitOK, ""},
		{"time 0 is off", []string{"--speed-limit", "1KiB", "--speed-time", "0"}, exitOK, ""},
		{"default", nil, exitOK, ""},
		{"negative time", []string{"--speed-time", "-1s"}, exitUsage, "--speed-time -1s: must not be negative"},
		{"not a size", []string{"--speed-limit", "fast"}, exitUsage, "--speed-limit"},
		{"under a byte per span", []string{"--speed-limit", "1", "--speed-time", "100ms"}, exitUsage, "--speed-limit 1 over --speed-time 100ms"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			out := filepath.Join(t.TempDir(), "out")
			args := append([]string{"scrape", "--nodes", nodes, "--out", out, "--url", srv.URL + "/d/{node}",
				"--progress", "none", "--max-attempts", "1"}, tt.flags...)
			code, stderr := runBin(t, args...)
			if code != tt.want {
				t.Fatalf("exit %d, want %d: %s", code, tt.want, tail(stderr))
			}
			if code == exitFailed {
				dl, err := os.ReadFile(filepath.Join(out, "dead-letter.ndjson"))
				if err != nil {
					t.Fatal(err)
				}
				stderr = string(dl)
			}
			if !strings.Contains(stderr, tt.stderr) {
				t.Errorf("stderr does not say %q: %s", tt.stderr, tail(stderr))
			}
		})
	}
}
