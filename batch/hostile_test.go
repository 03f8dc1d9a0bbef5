package batch

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

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
