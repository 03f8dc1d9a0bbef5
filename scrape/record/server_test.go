package record_test

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/sluicehq/sluice/scrape/clock"
	"github.com/sluicehq/sluice/scrape/record"
)

// pacedRecording records one attempt of node P: its headers came 50 ms
// after the request, its body in three reads of 1000 bytes, 100 ms apart.
func pacedRecording(t *testing.T, chunks [][]byte) string {
	t.Helper()
	dir := t.TempDir()
	fake := clock.NewFake(time.Date(2026, 11, 21, 3, 0, 0, 0, time.UTC))
	rec, err := record.Create(dir, record.Options{Template: "http://api.invalid/x?r={node}", Now: fake.Now})
	if err != nil {
		t.Fatal(err)
	}
	rt := rec.Wrap(roundTripFunc(func(req *http.Request) (*http.Response, error) {
		fake.Advance(50 * time.Millisecond)
		return &http.Response{StatusCode: http.StatusOK, Status: "200 OK", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
			Header: http.Header{"Content-Type": {"text/plain"}}, ContentLength: -1, Request: req,
			Body: io.NopCloser(&pacedBody{fake: fake, chunks: chunks})}, nil
	}))
	resp, err := (&http.Client{Transport: rt}).Get("http://api.invalid/x?r=P")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	return dir
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// pacedBody hands out its chunks, the fake clock 100 ms later at each.
type pacedBody struct {
	fake   *clock.Fake
	chunks [][]byte
	off    int // into chunks[0]
}

func (b *pacedBody) Read(p []byte) (int, error) {
	if len(b.chunks) == 0 {
		return 0, io.EOF
	}
	if b.off == 0 {
		b.fake.Advance(100 * time.Millisecond)
	}
	n := copy(p, b.chunks[0][b.off:])
	if b.off += n; b.off == len(b.chunks[0]) {
		b.chunks, b.off = b.chunks[1:], 0
	}
	return n, nil
}

// TestServePace: at --pace recorded the server waits the recorded time
// to first byte, then sends each part of the body when its recorded time
// comes (stepped here on a fake clock: the server waits on it at exactly
// those instants and sends nothing early); at --pace fast it sends it all
// without a wait.
func TestServePace(t *testing.T) {
	t.Parallel()
	chunks := [][]byte{bytes.Repeat([]byte("a"), 1000), bytes.Repeat([]byte("b"), 1000), bytes.Repeat([]byte("c"), 1000)}
	dir := pacedRecording(t, chunks)
	for _, pace := range []record.Pace{record.PaceRecorded, record.PaceFast} {
		t.Run(string(pace), func(t *testing.T) {
			t.Parallel()
			t0 := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
			fake := clock.NewFake(t0)
			f, err := record.Open(dir)
			if err != nil {
				t.Fatal(err)
			}
			h, err := record.NewHandler(f, record.ServerOptions{Pace: pace, Clock: fake, Strict: t})
			if err != nil {
				t.Fatal(err)
			}
			// Every write of the server to the socket, with the clock's
			// time when it was made.
			wl := &writeLog{fake: fake}
			srv := httptest.NewUnstartedServer(h)
			srv.Listener = loggedListener{srv.Listener, wl}
			srv.Start()
			defer srv.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second) // a deadline: a hang fails
			defer cancel()
			// step waits for the server's timer and checks it is due at
			// want after t0, then moves the clock there.
			step := func(want time.Duration) {
				t.Helper()
				if err := fake.WaitTimers(ctx, 1); err != nil {
					t.Fatalf("no timer for +%v: %v", want, err)
				}
				next, _ := fake.Next()
				if got := next.Sub(t0); got != want {
					t.Fatalf("the server waits until +%v, want +%v", got, want)
				}
				fake.Set(next)
			}
			got := make(chan *http.Response, 1)
			errs := make(chan error, 1)
			go func() {
				req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/x?r=P", nil)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					errs <- err
					return
				}
				got <- resp
			}()
			if pace == record.PaceRecorded {
				step(50 * time.Millisecond) // the time to first byte
			}
			var resp *http.Response
			select {
			case resp = <-got:
			case err := <-errs:
				t.Fatal(err)
			}
			defer resp.Body.Close()
			for i, want := range chunks {
				if pace == record.PaceRecorded {
					step(50*time.Millisecond + time.Duration(i+1)*100*time.Millisecond)
				}
				part := make([]byte, len(want))
				if _, err := io.ReadFull(resp.Body, part); err != nil {
					t.Fatalf("part %d: %v", i, err)
				}
				if !bytes.Equal(part, want) {
					t.Fatalf("part %d: %.10q…, want %.10q…", i, part, want)
				}
			}
			if rest, err := io.ReadAll(resp.Body); err != nil || len(rest) > 0 {
				t.Errorf("after the body: %d bytes, %v", len(rest), err)
			}
			if pace == record.PaceFast && (fake.Now() != t0 || fake.Timers() != 0) {
				t.Errorf("--pace fast waited: the clock is at +%v with %d timers", fake.Now().Sub(t0), fake.Timers())
			}
			if pace == record.PaceRecorded {
				// Nothing early: before part i's recorded time, the
				// server had written at most the parts before it (and
				// less than 500 bytes of headers and chunk framing).
				for i := range chunks {
					due := 50*time.Millisecond + time.Duration(i+1)*100*time.Millisecond
					if n := wl.before(t0.Add(due)); n >= int64(i*1000+500) {
						t.Errorf("%d bytes written before +%v, when part %d was due", n, due, i)
					}
				}
			}
		})
	}
}

// writeLog notes how many bytes a server wrote, and when by its clock.
type writeLog struct {
	fake   *clock.Fake
	mu     sync.Mutex
	at     []time.Time
	counts []int
}

// before returns the bytes written before t.
func (l *writeLog) before(t time.Time) int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	var n int64
	for i, at := range l.at {
		if at.Before(t) {
			n += int64(l.counts[i])
		}
	}
	return n
}

type loggedListener struct {
	net.Listener
	log *writeLog
}

func (l loggedListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &loggedConn{c, l.log}, nil
}

// loggedConn is a server's connection; it keeps Hijack's view of a
// *net.TCPConn out of reach, which the paced attempts do not need.
type loggedConn struct {
	net.Conn
	log *writeLog
}

func (c *loggedConn) Write(p []byte) (int, error) {
	c.log.mu.Lock()
	c.log.at = append(c.log.at, c.log.fake.Now())
	c.log.counts = append(c.log.counts, len(p))
	c.log.mu.Unlock()
	return c.Conn.Write(p)
}
