package batch

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluicehq/sluice/extract"
	"github.com/sluicehq/sluice/scrape"
	"github.com/sluicehq/sluice/store"
)

// hostileServer is a loopback API whose bodies are what a careless or
// changing server sends, one kind per node name (the node is the last
// path element, /n/{node}):
//
//	ok        two updates
//	empty     "updates": [] (reached, nothing in it)
//	renamed   the array under another name ("changes"): data.updates is never reached
//	wild-N    N updates, each in its own second (distinct buckets at --bucket 1s)
//
// It counts the requests per node.
type hostileServer struct {
	*httptest.Server
	mu   sync.Mutex
	hits map[string]int
}

func newHostileServer(t *testing.T) *hostileServer {
	t.Helper()
	h := &hostileServer{hits: map[string]int{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /n/{node}", func(w http.ResponseWriter, r *http.Request) {
		node := r.PathValue("node")
		h.mu.Lock()
		h.hits[node]++
		h.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		switch {
		case node == "ok":
			fmt.Fprint(w, `{"status":"ok","data":{"updates":[{"timestamp":"2022-09-12T00:00:01"},{"timestamp":"2022-09-12T01:00:00"}]}}`)
		case node == "empty":
			fmt.Fprint(w, `{"status":"ok","data":{"updates":[]}}`)
		case node == "renamed":
			fmt.Fprint(w, `{"status":"ok","data":{"changes":[{"timestamp":"2022-09-12T00:00:01"}]}}`)
		case strings.HasPrefix(node, "wild-"):
			var n int
			fmt.Sscanf(node, "wild-%d", &n)
			fmt.Fprint(w, `{"status":"ok","data":{"updates":[`)
			for i := range n {
				if i > 0 {
					fmt.Fprint(w, ",")
				}
				fmt.Fprintf(w, `{"timestamp":%d}`, 1662940800+i)
			}
			fmt.Fprint(w, `]}}`)
		default:
			http.NotFound(w, r)
		}
	})
	h.Server = httptest.NewServer(mux)
	t.Cleanup(h.Close)
	return h
}

func (h *hostileServer) requests(node string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.hits[node]
}

// client is a scrape.Client for h that retries at once, twice at most.
func (h *hostileServer) client(t *testing.T) *scrape.Client {
	t.Helper()
	c, err := scrape.New(scrape.Options{URL: h.URL + "/n/{node}", MaxAttempts: 2,
		MinBackoff: time.Millisecond, MaxBackoff: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// runFolder runs nodes against h into a new run folder and returns its
// records and dead letters by node.
func (h *hostileServer) runFolder(t *testing.T, nodes []string, o Options) (map[string]store.Record, map[string]store.DeadLetter, error) {
	t.Helper()
	dir := t.TempDir()
	p, err := NewPlan(nodes, PlanOptions{Size: 10})
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(dir, store.Params{URL: h.URL}, store.OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_, runErr := Run(context.Background(), p, h.client(t), st, o)
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	recs := map[string]store.Record{}
	if err := store.ReadRecords(dir, func(r store.Record) error { recs[r.Node] = r; return nil }); err != nil {
		t.Fatal(err)
	}
	dl, err := store.ReadDeadLetters(dir)
	if err != nil {
		t.Fatal(err)
	}
	dead := map[string]store.DeadLetter{}
	for _, d := range dl {
		dead[d.Node] = d
	}
	return recs, dead, runErr
}

// Issue 10 item 5: a body in which the selector's container is missing
// is a failed attempt, retried and then dead-lettered with "path
// data.updates not found", never a silent zero; an empty container
// counts 0; --allow-missing (Options.AllowMissing) counts 0 for both.
func TestMissingPathIsAFailedAttempt(t *testing.T) {
	h := newHostileServer(t)
	nodes := []string{"ok", "empty", "renamed"}
	recs, dead, err := h.runFolder(t, nodes, Options{StatusPath: "status"})
	if err != nil {
		t.Fatal(err)
	}
	if recs["ok"].Count != 2 || recs["empty"].Count != 0 || len(recs) != 2 {
		t.Fatalf("records %+v", recs)
	}
	d, ok := dead["renamed"]
	if !ok || !strings.Contains(d.Error, "path data.updates not found") || d.Attempts != 2 {
		t.Fatalf("dead letter of renamed: %+v (present %v), want 2 attempts and \"path data.updates not found\"", d, ok)
	}
	if got := h.requests("renamed"); got != 2 {
		t.Errorf("server got %d requests for renamed, want 2 (retried once)", got)
	}

	recs, dead, err = h.runFolder(t, nodes, Options{StatusPath: "status", AllowMissing: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(dead) != 0 || len(recs) != 3 || recs["renamed"].Count != 0 {
		t.Fatalf("with AllowMissing: records %+v, dead %+v", recs, dead)
	}
}

// Issue 10 item 1, with a window: per-node buckets are the window's dense
// counters, and values outside the window are counted in Outside, never as
// new buckets.
func TestWindowBucketsAreDense(t *testing.T) {
	h := newHostileServer(t)
	start := time.Unix(1662940800, 0) // the first value of wild-N
	o := Options{Bucket: time.Second, WindowStart: start.Add(10 * time.Second), WindowEnd: start.Add(20 * time.Second)}
	recs, dead, err := h.runFolder(t, []string{"wild-1000"}, o)
	if err != nil || len(dead) != 0 {
		t.Fatalf("run: %v, dead %v", err, dead)
	}
	rec := recs["wild-1000"]
	if rec.Count != 1000 || rec.Outside != 990 || len(rec.Buckets) != 10 {
		t.Fatalf("count %d, outside %d, %d buckets; want 1000, 990 and the window's 10", rec.Count, rec.Outside, len(rec.Buckets))
	}
}

// Issue 10 item 1, without a window: a node whose body has more distinct
// buckets than MaxBuckets fails with a clear error instead of growing
// memory, and its neighbours are not held up.
func TestTooManyBucketsFailsTheNode(t *testing.T) {
	h := newHostileServer(t)
	recs, dead, err := h.runFolder(t, []string{"ok", "wild-150"}, Options{Bucket: time.Second, MaxBuckets: 100})
	if err != nil {
		t.Fatal(err)
	}
	d, ok := dead["wild-150"]
	if !ok || !strings.Contains(d.Error, "too many distinct buckets: more than 100 buckets of 1s") || len(recs) != 1 {
		t.Fatalf("dead letter %+v (present %v), records %v", d, ok, recs)
	}
}

// Issue 10 item 1: a window of more buckets than extract.MaxBuckets is
// refused before anything is fetched (exit 2 in the CLI), and so is an
// out-of-range cap.
func TestWindowOverTheCapIsInvalid(t *testing.T) {
	h := newHostileServer(t)
	for _, o := range []Options{
		{Bucket: time.Second}, // 30 days of seconds
		{Bucket: time.Hour, MaxBuckets: extract.MaxBuckets + 1},
	} {
		j := Job{Nodes: []string{"ok"}, Out: t.TempDir(), Fetcher: h.client(t), Source: "hostile:",
			Start: "2022-09-01T00:00:00", End: "2022-10-01T00:00:00", Options: o}
		_, err := j.Run(context.Background())
		if !errors.Is(err, ErrInvalidJob) || !strings.Contains(err.Error(), "buckets") {
			t.Errorf("%+v: %v, want ErrInvalidJob about the buckets", o, err)
		}
	}
	if h.requests("ok") != 0 {
		t.Errorf("%d requests sent by a refused job", h.requests("ok"))
	}
}
