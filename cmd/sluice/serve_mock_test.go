package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluicehq/sluice/bench/mockapi"
)

// lockedBuffer is a bytes.Buffer the command writes while the test reads;
// every write wakes waitFor.
type lockedBuffer struct {
	mu      sync.Mutex
	b       bytes.Buffer
	changed chan struct{} // one pending wake-up, made on first use
}

func (l *lockedBuffer) wake() chan struct{} {
	if l.changed == nil {
		l.changed = make(chan struct{}, 1)
	}
	return l.changed
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	select {
	case l.wake() <- struct{}{}:
	default: // a wake-up is already pending
	}
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// waitFor waits until the log matches re, checking after every write. The
// deadline only turns a hang into a failure: the match is the event.
func waitFor(t *testing.T, log *lockedBuffer, re *regexp.Regexp) []string {
	t.Helper()
	log.mu.Lock()
	wake := log.wake()
	log.mu.Unlock()
	deadline := time.NewTimer(time.Minute)
	defer deadline.Stop()
	for {
		if m := re.FindStringSubmatch(log.String()); m != nil {
			return m
		}
		select {
		case <-wake:
		case <-deadline.C:
			t.Fatalf("log never matched %s:\n%s", re, log.String())
			return nil
		}
	}
}

func TestServeMock(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errs lockedBuffer
	code := make(chan int, 1)
	go func() {
		code <- runTest(ctx, []string{"sluice", "serve-mock", "--addr", "127.0.0.1:0", "--seed", "3",
			"--limit", "2", "--window", "1h", "--size-dist", "fixed:8KiB", "--faults", "none",
			"--override", "AS9=updates:7", "--override", "AS10=503", "--retry-after", "250ms", "--log-interval", "20ms"},
			&stdio{in: strings.NewReader(""), out: &out, err: &errs})
	}()
	m := waitFor(t, &errs, regexp.MustCompile(`listening" url=(http://127\.0\.0\.1:\d+) scope="loopback only"`))
	base := m[1]
	c := &http.Client{Transport: &http.Transport{DisableCompression: true}}

	get := func(path string) (*http.Response, []byte) {
		t.Helper()
		resp, err := c.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp, b
	}
	resp, body := get(mockapi.DataPath + "?resource=AS9&sourceapp=t")
	var env struct {
		Status string
		Data   struct {
			NrUpdates int64 `json:"nr_updates"`
		}
	}
	if err := json.Unmarshal(body, &env); err != nil || resp.StatusCode != 200 || env.Status != "ok" || env.Data.NrUpdates != 7 {
		t.Fatalf("AS9: %d %v %+v", resp.StatusCode, err, env)
	}
	if resp.Header.Get("X-RateLimit-Limit") != "2" || resp.Header.Get("X-RateLimit-Remaining") != "1" {
		t.Errorf("rate headers: %v", resp.Header)
	}
	if resp, _ := get(mockapi.DataPath + "?resource=AS10&sourceapp=t"); resp.StatusCode != 503 ||
		(resp.Header.Get("Retry-After") != "0.25" && resp.Header.Get("Retry-After") != "0.5") {
		t.Errorf("AS10 override: status %d, Retry-After %q; want 503, one or two units of --retry-after 250ms", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if resp, _ := get(mockapi.DataPath + "?resource=AS1&sourceapp=t"); resp.StatusCode != 429 {
		t.Errorf("third request in the window: status %d, want 429", resp.StatusCode)
	}
	waitFor(t, &errs, regexp.MustCompile(`served" requests=\d+ ok=\d+ status_429=\d+`))

	cancel()
	select {
	case got := <-code:
		if got != exitOK {
			t.Fatalf("exit %d, stderr:\n%s", got, errs.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve-mock did not stop after cancel")
	}
	if !strings.Contains(errs.String(), `serve-mock: stopped" requests=3 ok=1 status_429=1 faults=1`) {
		t.Errorf("no final summary:\n%s", errs.String())
	}
	if _, err := net.DialTimeout("tcp", strings.TrimPrefix(base, "http://"), time.Second); err == nil {
		t.Error("still listening after shutdown")
	}
	if out.String() != "" {
		t.Errorf("stdout: %q", out.String())
	}
}

func TestServeMockUsageErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		args    []string
		mention string
	}{
		{[]string{"--faults", "500=2"}, "--faults"},
		{[]string{"--faults", "boom=0.1"}, `unknown fault "boom"`},
		{[]string{"--latency", "lognormal:20ms"}, "lognormal:MEDIAN:SIGMA"},
		{[]string{"--size-dist", "fixed"}, "fixed:SIZE"},
		{[]string{"--override", "AS1=huge"}, "neither a size"},
		{[]string{"--bandwidth", "fast"}, "--bandwidth"},
		{[]string{"--limit", "-1"}, "--limit"},
		{[]string{"--window", "0s"}, "--window"},
		{[]string{"--retry-after", "0s"}, "--retry-after"},
		{[]string{"--seed", "x"}, "seed"},
		{[]string{"extra"}, "unexpected argument"},
	}
	for _, c := range cases {
		var out, errs bytes.Buffer
		args := append([]string{"sluice", "serve-mock", "--addr", "127.0.0.1:0"}, c.args...)
		got := runTest(context.Background(), args, &stdio{in: strings.NewReader(""), out: &out, err: &errs})
		if got != exitUsage || !strings.Contains(errs.String(), c.mention) {
			t.Errorf("%v: exit %d, stderr %q; want %d mentioning %q", c.args, got, errs.String(), exitUsage, c.mention)
		}
	}
}

// A port in use is a failure (exit 1), not a usage error.
func TestServeMockPortInUse(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var out, errs bytes.Buffer
	got := runTest(context.Background(), []string{"sluice", "serve-mock", "--addr", ln.Addr().String()}, &stdio{in: strings.NewReader(""), out: &out, err: &errs})
	if got != exitFailed || !strings.Contains(errs.String(), "listen") {
		t.Errorf("exit %d, stderr %q", got, errs.String())
	}
}

func TestIsLoopback(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		ip   string
		want bool
	}{{"127.0.0.1", true}, {"::1", true}, {"0.0.0.0", false}, {"192.0.2.1", false}} {
		if got := isLoopback(&net.TCPAddr{IP: net.ParseIP(c.ip)}); got != c.want {
			t.Errorf("isLoopback(%s) = %v", c.ip, got)
		}
	}
}
