package record

import (
	"fmt"
	"net/http"
	"net/url"
	"sync"

	"github.com/sluicehq/sluice/scrape"
)

// queue hands out recorded attempts per key, in recorded order. It is
// safe for concurrent use.
type queue struct {
	dir    string
	m      Matcher
	names  scrape.Secrets // the recording's, for what the queue reports
	strict TB

	mu         sync.Mutex
	queues     map[string][]*Attempt // per key, the attempts not served yet
	unrecorded []string              // requests that found no attempt
}

func newQueue(f *Folder, m Matcher, strict TB) (*queue, error) {
	m, err := matcherFor(f, m)
	if err != nil {
		return nil, err
	}
	q := &queue{dir: f.Dir, m: m, names: f.secrets(), strict: strict, queues: make(map[string][]*Attempt)}
	for _, node := range f.Nodes() {
		for _, a := range f.Attempts[node] {
			u, err := url.Parse(a.URL)
			if err != nil {
				return nil, fmt.Errorf("record: node %q attempt %d: url: %w", a.Node, a.Seq, err)
			}
			k, ok := m.Key(a.Method, u)
			if !ok {
				return nil, fmt.Errorf("record: node %q attempt %d: %s does not fit the matcher", a.Node, a.Seq, a.URL)
			}
			q.queues[k] = append(q.queues[k], a)
		}
	}
	return q, nil
}

func matcherFor(f *Folder, m Matcher) (Matcher, error) {
	if fm, ok := m.(interface{ forFolder(*Folder) Matcher }); ok {
		return fm.forFolder(f), nil // ByRequest, with the recording's secret names
	}
	if m != nil {
		return m, nil
	}
	if f.Index.Template == "" {
		return byRequest{names: f.secrets()}, nil
	}
	return ByNode(f.Index.Template)
}

// redact removes the values of the recording's secret names from s.
func (q *queue) redact(s string) string { return q.names.Redact(s) }

// next pops the attempt that answers req, or returns an error wrapping
// ErrNotRecorded (and fails the test in strict mode).
func (q *queue) next(req *http.Request) (*Attempt, error) {
	k, ok := q.m.Key(req.Method, req.URL)
	q.mu.Lock()
	defer q.mu.Unlock()
	if ok && len(q.queues[k]) > 0 {
		a := q.queues[k][0]
		q.queues[k] = q.queues[k][1:]
		return a, nil
	}
	what := req.Method + " " + q.names.Redact(req.URL.String())
	q.unrecorded = append(q.unrecorded, what)
	if q.strict != nil {
		q.strict.Helper()
		q.strict.Errorf("record: unrecorded request %s (no attempt left in %s)", what, q.dir)
	}
	return nil, fmt.Errorf("%w: %s", ErrNotRecorded, what)
}

func (q *queue) unrecordedList() []string {
	q.mu.Lock()
	defer q.mu.Unlock()
	return append([]string(nil), q.unrecorded...)
}

func (q *queue) unusedList() []*Attempt {
	q.mu.Lock()
	defer q.mu.Unlock()
	var out []*Attempt
	for _, as := range q.queues {
		out = append(out, as...)
	}
	return out
}
