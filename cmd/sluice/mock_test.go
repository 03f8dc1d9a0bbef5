package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/sluicehq/sluice/bench/mockapi"
	"github.com/sluicehq/sluice/bench/synth"
)

// mockServer is the mock API of an end-to-end test, served by the sluice
// binary (serve-mock) in a process of its own rather than by the test
// binary. The test binary runs under -race, where the mock's synthetic
// bodies and their zstd encoding took a third of the package's CPU (and
// a race-enabled sync.Pool drops a quarter of the encoders it is given,
// each MiBs of tables); the binary is built without -race. The mock's
// own races are bench/mockapi's tests' to find.
type mockServer struct {
	// URL is the base URL, http://127.0.0.1:PORT.
	URL string
	// local is a Server that serves nothing: the bodies, and so their
	// truth, are a function of the configuration alone.
	local *mockapi.Server
	cmd   *exec.Cmd
	log   *lockedBuffer
	done  chan struct{} // closed when the process has ended
}

// listening is serve-mock's line with its address.
var listening = regexp.MustCompile(`msg="serve-mock: listening" url=(http://\S+)`)

// startMock starts the mock API for a test and stops it at the end. Its
// Retry-After unit is 50 ms unless cfg says otherwise: the client obeys
// it on the real clock as it would whole seconds (read by the same
// parser, tested with both forms in scrape), without the test waiting
// seconds for every 503.
func startMock(t *testing.T, cfg mockapi.Config) *mockServer {
	t.Helper()
	m, err := launchMock(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := m.Close(); err != nil {
			t.Error(err)
		}
	})
	return m
}

// launchMock starts serve-mock with cfg; the caller closes it.
func launchMock(cfg mockapi.Config) (*mockServer, error) {
	if cfg.RetryAfter == 0 {
		cfg.RetryAfter = 50 * time.Millisecond
	}
	if cfg.Now != nil || cfg.Logger != nil {
		return nil, errors.New("launchMock: a mock in its own process has the real clock and its own log")
	}
	local, err := mockapi.New(cfg)
	if err != nil {
		return nil, err
	}
	bin, err := buildBinary()
	if err != nil {
		return nil, err
	}
	cfg = local.Config() // defaults filled in
	args := []string{"serve-mock", "--addr", "127.0.0.1:0", "--log-interval", "1h",
		"--seed", strconv.FormatUint(cfg.Seed, 10), "--limit", strconv.Itoa(cfg.Limit), "--window", cfg.Window.String(),
		"--max-concurrent", strconv.Itoa(cfg.MaxConcurrent), "--retry-after", cfg.RetryAfter.String(),
		"--latency", cfg.Latency.String(), "--faults", cfg.Faults.String(), "--size-dist", cfg.Sizes.String()}
	for _, res := range slices.Sorted(maps.Keys(cfg.Overrides)) {
		args = append(args, "--override", res+"="+cfg.Overrides[res].String())
	}
	m := &mockServer{local: local, cmd: exec.Command(bin, args...), log: &lockedBuffer{}, done: make(chan struct{})}
	m.cmd.Stderr = m.log
	if err := m.cmd.Start(); err != nil {
		return nil, err
	}
	go func() { m.cmd.Wait(); close(m.done) }()
	m.log.mu.Lock()
	wake := m.log.wake()
	m.log.mu.Unlock()
	deadline := time.NewTimer(time.Minute) // turns a hang into a failure
	defer deadline.Stop()
	for {
		if u := listening.FindStringSubmatch(m.log.String()); u != nil {
			m.URL = u[1]
			return m, nil
		}
		select {
		case <-wake:
		case <-m.done:
			return nil, fmt.Errorf("serve-mock %q ended before it listened: %v\n%s", args, m.cmd.ProcessState, m.log.String())
		case <-deadline.C:
			m.cmd.Process.Kill()
			<-m.done
			return nil, fmt.Errorf("serve-mock %q: not listening after a minute:\n%s", args, m.log.String())
		}
	}
}

// Stats returns what the mock answered so far (its /stats).
func (m *mockServer) Stats(t *testing.T) mockapi.Stats {
	t.Helper()
	resp, err := http.Get(m.URL + "/stats")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st mockapi.Stats
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("mock /stats: %s, %v", resp.Status, err)
	}
	return st
}

// Truth returns the ground truth of resource's body over [start, end).
func (m *mockServer) Truth(resource string, start, end time.Time) (synth.Truth, error) {
	return m.local.Truth(resource, start, end)
}

// Close kills the mock: nothing it would do after the test matters. It
// reports a mock that had ended by itself.
func (m *mockServer) Close() error {
	select {
	case <-m.done:
		return fmt.Errorf("serve-mock ended before the test did: %v\n%s", m.cmd.ProcessState, tail(m.log.String()))
	default:
	}
	m.cmd.Process.Kill()
	<-m.done
	return nil
}
