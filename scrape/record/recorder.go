package record

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/sluicehq/sluice/scrape"
)

// Options configures a Recorder. The zero value records with node names
// taken from the request path and query, the wall clock and no job
// parameters.
type Options struct {
	// Template is the run's URL template (scrape.Options.URL). It names
	// the node of each request (see ByNode) and is stored, redacted, in
	// the index. Empty: a request's node is its path and query.
	Template string
	// Vars are the template's variables: they name the node of a request
	// exactly (a value that looks like a node cannot confuse ByNode).
	// Secret-named ones are redacted in the index.
	Vars map[string]string
	// Params are stored in the index as they are (redact them first).
	Params map[string]string
	// Names are the run's secret names (scrape.Options.Secrets): values
	// of such query parameters, headers and variables are redacted. The
	// zero value is scrape's built-in list.
	Names scrape.Secrets
	// Secrets are literal values (API keys in headers, secret variables)
	// to remove from everything recorded, on top of the secret names.
	Secrets []string
	// Stopping reports whether the run is being stopped, so that an
	// attempt cut by the run's own cancellation is EndInterrupted rather
	// than EndStall. nil: never.
	Stopping func() bool
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Recorder writes every attempt that passes through its Transport to a
// folder. Create it with Create, wrap the client's transport with Wrap,
// and Close it when the run ends. It is safe for concurrent use.
type Recorder struct {
	dir   string
	o     Options
	match *NodeMatcher // nil: nodes are path and query
	red   func(string) string
	pool  encoders

	mu    sync.Mutex
	index Index
	nodes map[string]*nodeLog // by node
	err   error               // first write error; sticky
}

// nodeLog is the recorder's state for one node.
type nodeLog struct {
	dir     string // DIR/nodes/<name>, created
	nextSeq int
	idx     int // of its entry in Recorder.index.Nodes
}

// Create opens dir for recording, creating it if needed. A folder that
// already holds a recording (of this version) is continued: new attempts
// of a node are numbered after the recorded ones, as when a run resumes.
func Create(dir string, o Options) (*Recorder, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	r := &Recorder{dir: dir, o: o, nodes: make(map[string]*nodeLog), red: redactor(o.Names, o.Secrets)}
	if o.Template != "" {
		m, err := ByNode(o.Template)
		if err != nil {
			return nil, err
		}
		r.match = m
	}
	if err := os.MkdirAll(filepath.Join(dir, NodesDir), 0o755); err != nil {
		return nil, fmt.Errorf("record: %w", err)
	}
	now := o.Now().UTC()
	r.index = Index{Version: Version, Created: now}
	if old, err := readIndex(dir); err == nil {
		r.index.Created = old.Created
		r.index.Nodes = old.Nodes
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	} else if legacy(dir) {
		return nil, fmt.Errorf("record: %s: %w; record into another folder", dir, ErrLegacyFolder)
	}
	r.index.Template = r.red(o.Template)
	r.index.Redact = o.Names.Names
	r.index.Params = o.Params
	if len(o.Vars) > 0 {
		r.index.Vars = make(map[string]string, len(o.Vars))
		for k, v := range o.Vars {
			if o.Names.Name(k) {
				v = scrape.Redacted
			}
			r.index.Vars[k] = r.red(v)
		}
	}
	for i := range r.index.Nodes {
		e := &r.index.Nodes[i]
		r.nodes[e.Node] = &nodeLog{dir: filepath.Join(dir, NodesDir, e.Dir), nextSeq: nextSeq(e), idx: i}
	}
	if err := r.writeIndex(now, false); err != nil {
		return nil, err
	}
	return r, nil
}

func nextSeq(e *NodeEntry) int {
	if n := len(e.Attempts); n > 0 {
		return e.Attempts[n-1].Seq + 1
	}
	return 1
}

// Dir returns the folder.
func (r *Recorder) Dir() string { return r.dir }

// Wrap returns a RoundTripper that records every exchange through next.
func (r *Recorder) Wrap(next http.RoundTripper) http.RoundTripper {
	return &recordingTransport{r: r, next: next}
}

// Err returns the first error met writing the folder.
func (r *Recorder) Err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}

// Close writes the final index. It returns the first error met while
// recording, if any (it names the file or folder): a recording with an
// error is not complete, and its index says so (Index.Incomplete).
// Recording errors never fail the fetches themselves: the run goes on,
// and its caller reports the error once the run's own work is safe.
func (r *Recorder) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err != nil {
		r.index.Incomplete = r.err.Error()
	}
	if err := r.writeIndex(r.o.Now().UTC(), true); err != nil && r.err == nil {
		r.err = err
	}
	return r.err
}

// writeIndex writes the index; the caller holds r.mu (or owns r).
func (r *Recorder) writeIndex(now time.Time, closed bool) error {
	r.index.Updated, r.index.Closed = now, closed
	path := filepath.Join(r.dir, IndexFile)
	if err := writeJSONAtomic(path, &r.index); err != nil {
		return fmt.Errorf("record: write %s: %w", path, err)
	}
	return nil
}

// nodeOf names the node of req: through the template, following a
// redirect back to the request that caused it.
func (r *Recorder) nodeOf(req *http.Request) string {
	for q := req; q != nil; {
		if r.match != nil {
			if n, ok := r.match.Node(q.URL); ok {
				return n
			}
		}
		if q.Response == nil {
			break
		}
		q = q.Response.Request
	}
	u := req.URL
	s := u.EscapedPath()
	if u.RawQuery != "" {
		s += "?" + u.RawQuery
	}
	return r.red(s)
}

// begin reserves node's next attempt number.
func (r *Recorder) begin(node string) (*nodeLog, int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	nl := r.nodes[node]
	if nl == nil {
		name := scrape.CaptureName(node)
		dir := filepath.Join(r.dir, NodesDir, name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, 0, r.fail(fmt.Errorf("record: node %q: %w", node, err))
		}
		// Entries are addressed by index: appending may move the slice.
		nl = &nodeLog{dir: dir, nextSeq: 1, idx: len(r.index.Nodes)}
		r.index.Nodes = append(r.index.Nodes, NodeEntry{Node: node, Dir: name})
		r.nodes[node] = nl
	}
	seq := nl.nextSeq
	nl.nextSeq++
	return nl, seq, nil
}

// fail keeps err as the first error; the caller holds r.mu.
func (r *Recorder) fail(err error) error {
	if r.err == nil {
		r.err = err
	}
	return err
}

// finish writes a's metadata (the body file, if any, is committed) and
// lists it in the index.
func (r *Recorder) finish(nl *nodeLog, a *Attempt) {
	path := filepath.Join(nl.dir, seqName(a.Seq)+metaExt)
	err := writeJSONAtomic(path, a)
	if err == nil {
		err = syncDir(nl.dir)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil {
		r.fail(fmt.Errorf("record: node %q attempt %d: write %s: %w", a.Node, a.Seq, path, err))
		return
	}
	e := &r.index.Nodes[nl.idx]
	e.Attempts = append(e.Attempts, AttemptRef{Seq: a.Seq, Status: a.Status, End: a.End, Bytes: a.BodyBytes, Err: a.Err})
}

func seqName(seq int) string { return fmt.Sprintf("%06d", seq) }

// redactor returns the redaction of the recorder: literal secrets, then
// the secret names' values.
func redactor(names scrape.Secrets, secrets []string) func(string) string {
	var vals []string
	for _, s := range secrets {
		if len(s) >= 6 { // as scrape: short values ("1", "json") are no keys
			vals = append(vals, s, url.QueryEscape(s), url.PathEscape(s))
		}
	}
	return func(s string) string {
		for _, v := range vals {
			s = strings.ReplaceAll(s, v, scrape.Redacted)
		}
		return names.Redact(s)
	}
}

// redactHeader copies h with secret-named fields replaced and secret
// values removed.
func redactHeader(h http.Header, names scrape.Secrets, red func(string) string) http.Header {
	if len(h) == 0 {
		return nil
	}
	out := make(http.Header, len(h))
	for k, vs := range h {
		cp := make([]string, len(vs))
		for i, v := range vs {
			if names.Name(k) {
				cp[i] = scrape.Redacted
			} else {
				cp[i] = red(v)
			}
		}
		out[k] = cp
	}
	return out
}

// legacy reports whether dir holds old --capture bodies.
func legacy(dir string) bool {
	m, _ := filepath.Glob(filepath.Join(dir, "*"+scrape.CaptureExt))
	return len(m) > 0
}
