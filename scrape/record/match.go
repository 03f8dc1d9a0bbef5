package record

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/sluicehq/sluice/scrape"
)

// A Matcher keys requests: a request is answered by the next unused
// recorded attempt whose request has the same key. Key gets the request's
// method and URL (scheme and host included; a Matcher may ignore them)
// and reports false when it cannot key it.
type Matcher interface {
	Key(method string, u *url.URL) (string, bool)
}

// ByRequest keys by method, path and query, redacted as the recorder
// redacted URLs: the built-in secret names and the recording's own
// (Index.Redact, the run's --redact names), so apikey=… matches the
// recorded apikey=REDACTED. Scheme and host are ignored. A secret in a
// parameter without a secret name was redacted by its value when
// recorded and cannot match: use ByNode.
var ByRequest Matcher = byRequest{}

type byRequest struct{ names scrape.Secrets }

func (m byRequest) Key(method string, u *url.URL) (string, bool) {
	s := u.EscapedPath()
	if u.RawQuery != "" {
		s += "?" + u.RawQuery
	}
	return method + " " + m.names.Redact(s), true
}

// forFolder is ByRequest with the secret names of f's recording.
func (byRequest) forFolder(f *Folder) Matcher {
	return byRequest{names: f.secrets()}
}

// secrets are the secret names the recording was redacted with.
func (f *Folder) secrets() scrape.Secrets { return scrape.Secrets{Names: f.Index.Redact} }

// NodeMatcher keys a request by the node its URL holds. Create it with
// ByNode; it is immutable and safe for concurrent use.
type NodeMatcher struct {
	re     *regexp.Regexp
	places []bool // per capture group: true if in the query (QueryUnescape)
}

// ByNode reads nodes through a URL template in the form of
// scrape.Options.URL: {node} is the node, escaped for its place; any
// other {name}, and the text REDACTED, match any value (so a template
// redacted in an index still matches the requests that carry the secret);
// scheme, host and fragment are ignored. Requests of any method match.
func ByNode(template string) (*NodeMatcher, error) {
	rest := template
	if i := strings.Index(rest, "://"); i >= 0 {
		rest = rest[i+3:]
		j := strings.IndexAny(rest, "/?#")
		if j < 0 {
			return nil, fmt.Errorf("record: URL template %q: no {node} placeholder", template)
		}
		rest = rest[j:]
	}
	if i := strings.IndexByte(rest, '#'); i >= 0 {
		rest = rest[:i]
	}
	var (
		b      strings.Builder
		places []bool
	)
	b.WriteString("^")
	q := strings.IndexByte(rest, '?')
	for i := 0; i < len(rest); {
		open := strings.IndexByte(rest[i:], '{')
		if open < 0 {
			literal(&b, rest[i:], q >= 0 && i > q)
			break
		}
		open += i
		end := strings.IndexByte(rest[open:], '}')
		if end < 0 {
			return nil, fmt.Errorf("record: URL template %q: unclosed { at byte %d", template, open)
		}
		end += open
		literal(&b, rest[i:open], q >= 0 && i > q)
		inQuery := q >= 0 && open > q
		class := `[^/?#]*`
		if inQuery {
			class = `[^&#]*`
		}
		if rest[open+1:end] == "node" {
			b.WriteString("(" + class + ")")
			places = append(places, inQuery)
		} else {
			b.WriteString(class)
		}
		i = end + 1
	}
	b.WriteString("$")
	if len(places) == 0 {
		return nil, fmt.Errorf("record: URL template %q: no {node} placeholder", template)
	}
	re, err := regexp.Compile(b.String())
	if err != nil {
		return nil, fmt.Errorf("record: URL template %q: %w", template, err)
	}
	return &NodeMatcher{re: re, places: places}, nil
}

// literal writes the regexp of a literal part of a template. A redacted
// value (a template stored in an index) matches any value.
func literal(b *strings.Builder, s string, inQuery bool) {
	for i, part := range strings.Split(s, scrape.Redacted) {
		if i > 0 {
			if inQuery {
				b.WriteString(`[^&#]*`)
			} else {
				b.WriteString(`[^/?#]*`)
			}
		}
		b.WriteString(regexp.QuoteMeta(part))
	}
}

// Node returns the node u holds, or false if u does not fit the template
// (or holds two different values for {node}).
func (m *NodeMatcher) Node(u *url.URL) (string, bool) {
	s := u.EscapedPath()
	if u.RawQuery != "" || u.ForceQuery {
		s += "?" + u.RawQuery
	}
	sub := m.re.FindStringSubmatch(s)
	if sub == nil {
		return "", false
	}
	var node string
	for i, inQuery := range m.places {
		unescape := url.PathUnescape
		if inQuery {
			unescape = url.QueryUnescape
		}
		v, err := unescape(sub[i+1])
		if err != nil || (i > 0 && v != node) {
			return "", false
		}
		node = v
	}
	return node, node != ""
}

// Key implements Matcher.
func (m *NodeMatcher) Key(_ string, u *url.URL) (string, bool) {
	n, ok := m.Node(u)
	return "node " + n, ok
}
