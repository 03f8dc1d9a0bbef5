package scrape

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"

	"github.com/sluicehq/sluice/scrape/clock"
)

// newTestClient returns a client for srv with fast back-off and fixed
// jitter; tweak adjusts the options first.
func newTestClient(t *testing.T, srv *httptest.Server, tweak func(*Options)) *Client {
	t.Helper()
	o := Options{
		URL:        srv.URL + "/data.json?resource={node}",
		MinBackoff: time.Millisecond,
		MaxBackoff: 4 * time.Millisecond,
	}
	if tweak != nil {
		tweak(&o)
	}
	c, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	c.rand = func() float64 { return 0.5 }
	t.Cleanup(c.Close)
	return c
}

// readAll is a consume that keeps the body.
func readAll(dst *bytes.Buffer) func(io.Reader) error {
	return func(r io.Reader) error {
		dst.Reset()
		_, err := io.Copy(dst, r)
		return err
	}
}

func gzipped(t testing.TB, p []byte) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write(p)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func zstded(t testing.TB, p []byte) []byte {
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1))
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	return enc.EncodeAll(p, nil)
}

const testBody = `{"status":"ok","data":{"updates":[{"timestamp":"2022-09-12T00:00:01"},{"timestamp":"2022-09-12T00:00:02"}]}}`

func TestFetchDecodes(t *testing.T) {
	body := []byte(strings.Repeat(testBody, 200))
	tests := []struct {
		encoding string
		wire     []byte
	}{
		{"", body},
		{"identity", body},
		{"gzip", gzipped(t, body)},
		{"zstd", zstded(t, body)},
		{"gzip, zstd", zstded(t, gzipped(t, body))},
	}
	for _, tt := range tests {
		t.Run(tt.encoding, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if got := r.Header.Get("Accept-Encoding"); got != "zstd, gzip" {
					t.Errorf("Accept-Encoding %q", got)
				}
				if got := r.Header.Get("X-Api-Key"); got != "k3y-value" {
					t.Errorf("X-Api-Key %q", got)
				}
				if got := r.URL.Query().Get("resource"); got != "193.0.0.0/21" {
					t.Errorf("resource %q", got)
				}
				if tt.encoding != "" {
					w.Header().Set("Content-Encoding", tt.encoding)
				}
				w.Write(tt.wire)
			}))
			defer srv.Close()
			c := newTestClient(t, srv, func(o *Options) { o.Header = http.Header{"X-Api-Key": {"k3y-value"}} })
			var got bytes.Buffer
			res, err := c.Fetch(context.Background(), "193.0.0.0/21", readAll(&got))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Bytes(), body) {
				t.Fatalf("body differs: %d bytes, want %d", got.Len(), len(body))
			}
			want := Result{Node: "193.0.0.0/21", Status: 200, Attempts: 1, WireBytes: int64(len(tt.wire)), BodyBytes: int64(len(body))}
			res.TTFB, res.Duration, res.Waited = 0, 0, 0 // timings
			if res != want {
				t.Errorf("result %+v, want %+v", res, want)
			}
		})
	}
}

func TestFetchBodyCap(t *testing.T) {
	// The bombs decode to four times the cap (they were 16 MiB: the same
	// refusal, with four times the compressing under -race).
	zeros := make([]byte, 4<<20)
	tests := []struct {
		name     string
		encoding string
		wire     []byte
		noLength bool
	}{
		{"identity with Content-Length", "", zeros[:2<<20], false},
		{"identity chunked", "", zeros[:2<<20], true},
		{"gzip bomb", "gzip", gzipped(t, zeros), false},
		{"zstd bomb", "zstd", zstded(t, zeros), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var requests atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				requests.Add(1)
				if tt.encoding != "" {
					w.Header().Set("Content-Encoding", tt.encoding)
				}
				if tt.noLength {
					w.(http.Flusher).Flush() // no Content-Length: chunked
				}
				w.Write(tt.wire)
			}))
			defer srv.Close()
			c := newTestClient(t, srv, func(o *Options) { o.MaxBodySize = 1 << 20 })
			var n int64
			res, err := c.Fetch(context.Background(), "AS1", func(r io.Reader) error {
				var err error
				n, err = io.Copy(io.Discard, r)
				return err
			})
			var fe *FetchError
			if !errors.As(err, &fe) || !errors.Is(err, ErrBodyTooLarge) {
				t.Fatalf("err = %v, want a FetchError wrapping ErrBodyTooLarge", err)
			}
			if fe.Attempts != 1 || requests.Load() != 1 {
				t.Errorf("attempts %d, requests %d: an over-size body must not be retried", fe.Attempts, requests.Load())
			}
			if n > 1<<20 || res.BodyBytes > 1<<20 {
				t.Errorf("consume read %d bytes, result %d: past the cap", n, res.BodyBytes)
			}
		})
	}
}

// script is a test server that answers attempt i with steps[i] (the last
// step repeats).
type script struct {
	mu    sync.Mutex
	n     int
	steps []func(w http.ResponseWriter, r *http.Request)
}

func (s *script) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	i := min(s.n, len(s.steps)-1)
	s.n++
	s.mu.Unlock()
	s.steps[i](w, r)
}

func (s *script) requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n
}

func status(code int, hdr ...string) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i+1 < len(hdr); i += 2 {
			w.Header().Set(hdr[i], hdr[i+1])
		}
		w.WriteHeader(code)
		fmt.Fprintf(w, `{"status":"error","status_code":%d}`, code)
	}
}

func ok(body string) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, body) }
}

// truncated promises more than it sends, then closes the connection.
func truncated(body string) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		io.WriteString(w, body[:len(body)/2])
		w.(http.Flusher).Flush()
		panic(http.ErrAbortHandler)
	}
}

// malformed is a 200 whose body consume rejects.
const malformed = `{"status":"ok","data":{"updates":[{"timestamp":`

// checkJSON is a consume that rejects bodies not ending with "}}]}}"-ish:
// it stands in for the extractor's syntax check.
func checkJSON(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if !bytes.HasSuffix(b, []byte("}]}}")) {
		return fmt.Errorf("unexpected end of JSON at byte %d", len(b))
	}
	return nil
}

func TestFetchRetries(t *testing.T) {
	tests := []struct {
		name       string
		steps      []func(http.ResponseWriter, *http.Request)
		wantErr    string // "" : success
		attempts   int
		lastStatus int
	}{
		{"ok", steps(ok(testBody)), "", 1, 200},
		{"503 then ok", steps(status(503), ok(testBody)), "", 2, 200},
		{"429 then ok", steps(status(429, "Retry-After", "0"), ok(testBody)), "", 2, 200},
		{"408 then ok", steps(status(408), ok(testBody)), "", 2, 200},
		{"truncated then ok", steps(truncated(testBody), ok(testBody)), "", 2, 200},
		{"malformed then ok", steps(ok(malformed), ok(testBody)), "", 2, 200},
		{"bad encoding", steps(status(200, "Content-Encoding", "br")), `unsupported Content-Encoding "br"`, 1, 200},
		{"corrupt gzip then ok", steps(status(200, "Content-Encoding", "gzip"), ok(testBody)), "", 2, 200},
		{"404 at once", steps(status(404)), "HTTP 404 Not Found", 1, 404},
		{"400 at once", steps(status(400)), `HTTP 400 Bad Request: "{\"status\":\"error\",\"status_code\":400}"`, 1, 400},
		{"500 forever", steps(status(500)), "HTTP 500", 4, 500},
		{"malformed forever", steps(ok(malformed)), "consume: unexpected end of JSON at byte 47", 4, 200},
		{"truncated forever", steps(truncated(testBody)), "read body after", 4, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &script{steps: tt.steps}
			srv := httptest.NewServer(s)
			defer srv.Close()
			c := newTestClient(t, srv, func(o *Options) { o.MaxAttempts = 4 })
			res, err := c.Fetch(context.Background(), "AS1", checkJSON)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
			} else {
				var fe *FetchError
				if !errors.As(err, &fe) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want a FetchError containing %q", err, tt.wantErr)
				}
				if fe.Attempts != tt.attempts || fe.LastStatus != tt.lastStatus || fe.Node != "AS1" {
					t.Errorf("FetchError %+v, want %d attempts, last status %d", fe, tt.attempts, tt.lastStatus)
				}
			}
			if res.Attempts != tt.attempts || res.Status != tt.lastStatus || s.requests() != tt.attempts {
				t.Errorf("result %+v after %d requests, want %d attempts, status %d", res, s.requests(), tt.attempts, tt.lastStatus)
			}
			st := c.Stats()
			if st.Requests != int64(tt.attempts) || st.Retries != int64(tt.attempts-1) {
				t.Errorf("stats %+v", st)
			}
		})
	}
}

func steps(s ...func(http.ResponseWriter, *http.Request)) []func(http.ResponseWriter, *http.Request) {
	return s
}

func TestFetchStall(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	s := &script{steps: steps(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, testBody[:10])
		w.(http.Flusher).Flush()
		select { // hold the body open until the client gives up
		case <-r.Context().Done():
		case <-release:
		}
	}, ok(testBody))}
	srv := httptest.NewServer(s)
	defer srv.Close()
	c := newTestClient(t, srv, func(o *Options) { o.StallTimeout = 100 * time.Millisecond })
	var got bytes.Buffer
	res, err := c.Fetch(context.Background(), "AS1", readAll(&got))
	if err != nil {
		t.Fatal(err)
	}
	if res.Attempts != 2 || got.String() != testBody || c.Stats().Stalls != 1 {
		t.Errorf("result %+v, stats %+v, body %q", res, c.Stats(), got.String())
	}
}

func TestFetchMaxNodeTime(t *testing.T) {
	srv := httptest.NewServer(&script{steps: steps(status(503))})
	defer srv.Close()
	c := newTestClient(t, srv, func(o *Options) {
		o.MaxAttempts = 1000
		o.MaxNodeTime = 150 * time.Millisecond
		o.MinBackoff, o.MaxBackoff = 20*time.Millisecond, 20*time.Millisecond
	})
	_, err := c.Fetch(context.Background(), "AS1", checkJSON)
	var fe *FetchError
	if !errors.As(err, &fe) || !errors.Is(err, ErrNodeTimeout) || fe.LastStatus != 503 {
		t.Fatalf("err = %v, want a FetchError wrapping ErrNodeTimeout after 503s", err)
	}
	if fe.Attempts < 2 || fe.Attempts > 30 {
		t.Errorf("%d attempts", fe.Attempts)
	}
}

func TestFetchCancel(t *testing.T) {
	dir := t.TempDir()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for r.Context().Err() == nil { // an endless body
			if _, err := io.WriteString(w, testBody); err != nil {
				return
			}
		}
	}))
	defer srv.Close()
	c := newTestClient(t, srv, func(o *Options) { o.CaptureDir = dir })
	ctx, cancel := context.WithCancel(context.Background())
	_, err := c.Fetch(ctx, "AS1", func(r io.Reader) error {
		buf := make([]byte, 1000)
		for i := 0; ; i++ {
			if i == 100 {
				cancel()
			}
			if _, err := r.Read(buf); err != nil {
				return err
			}
		}
	})
	var fe *FetchError
	if !errors.Is(err, context.Canceled) || errors.As(err, &fe) {
		t.Fatalf("err = %v, want context.Canceled and no FetchError", err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("capture folder holds %v after a cancelled fetch", ents)
	}
	if _, err := c.Fetch(ctx, "AS2", checkJSON); !errors.Is(err, context.Canceled) {
		t.Errorf("fetch with a cancelled context: %v", err)
	}
}

func TestFetchCaptureAndReplay(t *testing.T) {
	dir := t.TempDir()
	s := &script{steps: steps(ok(malformed), status(200, "Content-Encoding", "gzip"), func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Encoding", "gzip")
		w.Write(gzipped(t, []byte(testBody)))
	})}
	srv := httptest.NewServer(s)
	defer srv.Close()
	c := newTestClient(t, srv, func(o *Options) { o.CaptureDir = dir })
	node := "../../etc/passwd"
	var n int
	res, err := c.Fetch(context.Background(), node, func(r io.Reader) error {
		n++
		if n == 1 {
			// The first (malformed) attempt's capture must not survive.
			if err := checkJSON(r); err == nil {
				t.Error("malformed body accepted")
			}
			return errors.New("bad envelope")
		}
		return checkJSON(r)
	})
	if err != nil || res.Attempts != 3 {
		t.Fatalf("res %+v err %v", res, err)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 || ents[0].Name() != CaptureName(node)+CaptureExt {
		t.Fatalf("capture folder holds %v", ents)
	}
	var got bytes.Buffer
	rres, err := NewReplayer(dir).Fetch(context.Background(), node, readAll(&got))
	if err != nil || got.String() != testBody || rres.BodyBytes != int64(len(testBody)) {
		t.Fatalf("replay: %+v %v %q", rres, err, got.String())
	}
	_, err = NewReplayer(dir).Fetch(context.Background(), "AS404", readAll(&got))
	var fe *FetchError
	if !errors.As(err, &fe) || !errors.Is(err, ErrNoCapture) {
		t.Fatalf("missing capture: %v", err)
	}
	_, err = NewReplayer(dir).Fetch(context.Background(), node, func(io.Reader) error { return errors.New("nope") })
	if !errors.As(err, &fe) || !strings.Contains(err.Error(), "consume: nope") {
		t.Fatalf("replay consume error: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "..", "..", "etc", "passwd"+CaptureExt)); err == nil {
		t.Fatal("capture escaped its folder")
	}
}

func TestFetchSecretsNeverLogged(t *testing.T) {
	const headerKey, varKey = "hdr-secret-7c1d", "var-secret-99ab"
	var logs bytes.Buffer
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// A proxy that echoes the request back in its error page.
		w.WriteHeader(502)
		fmt.Fprintf(w, "bad gateway for %s key %s", r.URL, r.Header.Get("X-Api-Key"))
	}))
	defer srv.Close()
	c := newTestClient(t, srv, func(o *Options) {
		o.URL = srv.URL + "/d?resource={node}&token={token}&app={app}"
		o.Vars = map[string]string{"token": varKey, "app": "sluice-test"}
		o.Header = http.Header{"X-Api-Key": {headerKey}}
		o.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		o.MaxAttempts = 2
	})
	_, err := c.Fetch(context.Background(), "AS1", checkJSON)
	if err == nil {
		t.Fatal("no error")
	}
	// And a connection error, whose message has the URL.
	srv.Close()
	_, err2 := c.Fetch(context.Background(), "AS2", checkJSON)
	if err2 == nil {
		t.Fatal("no error from a closed server")
	}
	all := logs.String() + err.Error() + err2.Error()
	for _, s := range []string{headerKey, varKey} {
		if strings.Contains(all, s) {
			t.Errorf("secret %q leaked:\n%s", s, all)
		}
	}
	if !strings.Contains(all, "bad gateway") || !strings.Contains(all, Redacted) {
		t.Errorf("expected redacted error text:\n%s", all)
	}
}

func TestFetchBadNode(t *testing.T) {
	s := &script{steps: steps(ok(testBody))}
	srv := httptest.NewServer(s)
	defer srv.Close()
	c := newTestClient(t, srv, nil)
	_, err := c.Fetch(context.Background(), "AS1\x00", checkJSON)
	var fe *FetchError
	if !errors.As(err, &fe) || !errors.Is(err, ErrBadNode) || fe.Attempts != 0 || s.requests() != 0 {
		t.Fatalf("err = %v after %d requests", err, s.requests())
	}
	if !strings.Contains(err.Error(), `node "AS1\x00"`) || !strings.Contains(err.Error(), "U+0000 at byte 3") {
		t.Errorf("message %q does not say which node and where", err)
	}
}

func TestFetchRefusesCrossHostRedirect(t *testing.T) {
	other := httptest.NewServer(&script{steps: steps(ok(testBody))})
	defer other.Close()
	s := &script{steps: steps(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, strings.Replace(other.URL, "127.0.0.1", "localhost", 1)+"/x", http.StatusFound)
	})}
	srv := httptest.NewServer(s)
	defer srv.Close()
	c := newTestClient(t, srv, nil)
	_, err := c.Fetch(context.Background(), "AS1", checkJSON)
	if !errors.Is(err, errCrossHost) || s.requests() != 1 {
		t.Fatalf("err = %v after %d requests", err, s.requests())
	}
}

// TestRetryAfterHoldsEveryWorker: one 429 with Retry-After stops all
// workers, not only the one that got it: the server sees no request
// before the delay is over. On fake time, so "during" is exact.
func TestRetryAfterHoldsEveryWorker(t *testing.T) {
	const delay = 2 * time.Second
	clk := runTime(t)
	var (
		mu     sync.Mutex
		first  time.Time   // when the 429 was sent
		during []time.Time // requests inside the delay
		n      int
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		now := clk.Now()
		n++
		if n == 1 {
			first = now
			mu.Unlock()
			w.Header().Set("Retry-After", strconv.FormatFloat(delay.Seconds(), 'f', 3, 64))
			w.WriteHeader(429)
			return
		}
		if now.Sub(first) < delay {
			during = append(during, now)
		}
		mu.Unlock()
		io.WriteString(w, testBody)
	}))
	defer srv.Close()
	c := newTestClient(t, srv, func(o *Options) { onFakeTime(clk)(o); o.Concurrency, o.Rate = 4, 1000 })
	// Worker 0 gets the 429; the others start just after it.
	var wg sync.WaitGroup
	errs := make([]error, 8)
	_, errs[0] = c.Fetch(context.Background(), "AS0", checkJSON)
	for i := 1; i < len(errs); i++ {
		wg.Go(func() { _, errs[i] = c.Fetch(context.Background(), "AS"+strconv.Itoa(i), checkJSON) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("node %d: %v", i, err)
		}
	}
	if len(during) != 0 {
		t.Errorf("%d requests arrived during the Retry-After delay", len(during))
	}
}

// TestBytesPerSecond: the byte budget paces the body, on fake time.
func TestBytesPerSecond(t *testing.T) {
	body := strings.Repeat("x", 200<<10)
	srv := httptest.NewServer(&script{steps: steps(ok(body))})
	defer srv.Close()
	clk := runTime(t)
	c := newTestClient(t, srv, func(o *Options) { onFakeTime(clk)(o); o.BytesPerSecond = 400 << 10 })
	var got bytes.Buffer
	if _, err := c.Fetch(context.Background(), "AS1", readAll(&got)); err != nil || got.String() != body {
		t.Fatalf("err %v, %d bytes", err, got.Len())
	}
	// 200 KiB at 400 KiB/s with a 40 KiB bucket: at least 0.4 s.
	if took := clk.Now().Sub(fakeT0); took < 400*time.Millisecond || took > 600*time.Millisecond {
		t.Errorf("took %v of fake time, want 0.4-0.5 s: the budget was not applied", took)
	}
}

// TestNewOptionErrors: each negative option is refused by an
// *OptionError that names that one field and its value.
func TestNewOptionErrors(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		field string
		set   func(*Options)
		value string
	}{
		{"Rate", func(o *Options) { o.Rate = -1 }, "-1"},
		{"BytesPerSecond", func(o *Options) { o.BytesPerSecond = -2 }, "-2"},
		{"Burst", func(o *Options) { o.Burst = -3 }, "-3"},
		{"Concurrency", func(o *Options) { o.Concurrency = -4 }, "-4"},
		{"MaxAttempts", func(o *Options) { o.MaxAttempts = -5 }, "-5"},
		{"MaxNodeTime", func(o *Options) { o.MaxNodeTime = -time.Second }, "-1s"},
		{"RequestTimeout", func(o *Options) { o.RequestTimeout = -time.Second }, "-1s"},
		{"StallTimeout", func(o *Options) { o.StallTimeout = -time.Second }, "-1s"},
		{"SpeedTime", func(o *Options) { o.SpeedTime = -time.Second }, "-1s"},
		{"MinBackoff", func(o *Options) { o.MinBackoff = -time.Second }, "-1s"},
		{"MaxBackoff", func(o *Options) { o.MaxBackoff = -time.Second }, "-1s"},
	} {
		o := Options{URL: "http://h/{node}"}
		tt.set(&o)
		_, err := New(o)
		var oe *OptionError
		if !errors.As(err, &oe) || oe.Field != tt.field || fmt.Sprint(oe.Value) != tt.value {
			t.Errorf("%s: err = %v, want an OptionError for %s %s", tt.field, err, tt.field, tt.value)
			continue
		}
		if want := "option " + tt.field + " " + tt.value + ": must be ≥ 0"; !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %q lacks %q", tt.field, err, want)
		}
	}
}

func TestNewErrors(t *testing.T) {
	tests := []struct {
		name string
		o    Options
		want string
	}{
		{"no URL", Options{}, "empty"},
		{"backoff order", Options{URL: "http://h/{node}", MinBackoff: time.Second, MaxBackoff: time.Millisecond}, "option MaxBackoff 1ms: must be ≥ MinBackoff 1s"},
		{"secret var in error", Options{URL: "http://h/{node}?key={key}&x={nope}", Vars: map[string]string{"key": "zzsecretzz"}}, "unknown placeholder {nope}"},
	}
	for _, tt := range tests {
		_, err := New(tt.o)
		if err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "zzsecretzz") {
			t.Errorf("%s: err = %v, want %q", tt.name, err, tt.want)
		}
	}
}

// TestCancelWhileGated: a caller's cancellation ends a wait on the
// server's Retry-After at once, with the caller's error, not a node
// failure. On fake time: the gate stays closed until the test cancels.
func TestCancelWhileGated(t *testing.T) {
	s := &script{steps: steps(ok(testBody))}
	srv := httptest.NewServer(s)
	defer srv.Close()
	clk := clock.NewFake(fakeT0)
	c := newTestClient(t, srv, onFakeTime(clk))
	c.limits.gate.closeUntilAt(fakeT0, fakeT0.Add(time.Minute))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := c.Fetch(ctx, "AS2", checkJSON)
		done <- err
	}()
	if err := clk.WaitTimers(context.Background(), 1); err != nil { // the gate's sleep
		t.Fatal(err)
	}
	cancel()
	err := <-done
	var fe *FetchError
	if !errors.Is(err, context.Canceled) || errors.As(err, &fe) || s.requests() != 0 {
		t.Fatalf("err = %v after %d requests, want the caller's cancellation and no request", err, s.requests())
	}
}

// TestThrottledIsNotAnAttempt: a 429 sends the node back to wait for its
// turn; it is not one of MaxAttempts, even with MaxAttempts 1, and the
// Result counts what the server saw.
func TestThrottledIsNotAnAttempt(t *testing.T) {
	s := &script{steps: steps(status(429, "Retry-After", "60"), status(429), status(503, "Retry-After", "1"), ok(testBody))}
	srv := httptest.NewServer(s)
	defer srv.Close()
	clk := runTime(t)
	c := newTestClient(t, srv, func(o *Options) { onFakeTime(clk)(o); o.MaxAttempts = 1 })
	res, err := c.Fetch(context.Background(), "AS1", checkJSON)
	if err != nil {
		t.Fatalf("throttled three times with MaxAttempts 1: %v", err)
	}
	if res.Attempts != 4 || res.Throttled != 3 || s.requests() != 4 {
		t.Errorf("Attempts %d Throttled %d, server saw %d requests; want 4, 3, 4", res.Attempts, res.Throttled, s.requests())
	}
	if waited := clk.Now().Sub(fakeT0); waited < 61*time.Second {
		t.Errorf("done after %v of fake time, want the 60 s and 1 s Retry-After honoured", waited)
	}
}

// TestThrottledNodeTimeout: with a huge Retry-After and MaxNodeTime 10s the
// node fails at once (waiting is pointless), its dead letter says it was
// throttled, and Attempts is what the server got: 1 (issue 10, "also
// seen", said 2).
func TestThrottledNodeTimeout(t *testing.T) {
	s := &script{steps: steps(status(429, "Retry-After", "86400"), ok(testBody))}
	srv := httptest.NewServer(s)
	defer srv.Close()
	clk := clock.NewFake(fakeT0) // nothing needs to fire: the node fails at once
	c := newTestClient(t, srv, func(o *Options) { onFakeTime(clk)(o); o.MaxNodeTime = 10 * time.Second })
	_, err := c.Fetch(context.Background(), "AS3", checkJSON)
	var fe *FetchError
	if !errors.As(err, &fe) || !errors.Is(err, ErrNodeTimeout) {
		t.Fatalf("err = %v, want a FetchError wrapping ErrNodeTimeout", err)
	}
	if fe.Attempts != 1 || s.requests() != 1 || !strings.Contains(err.Error(), "throttled for") ||
		!strings.Contains(err.Error(), "1 answer 429") {
		t.Errorf("err = %v; attempts %d, server requests %d; want 1 attempt and the throttling said", err, fe.Attempts, s.requests())
	}
	// The gate is capped at 15 min, and the node did not sit through it.
	if d := clk.Now().Sub(fakeT0); d > 0 {
		t.Errorf("the node waited %v before failing", d)
	}
}
