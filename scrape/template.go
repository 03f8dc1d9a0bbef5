package scrape

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ErrBadNode is wrapped by the error for a node that cannot be put in a
// URL safely (empty, too long, invalid UTF-8, control characters).
var ErrBadNode = errors.New("node cannot be put in a URL")

// maxNodeLen bounds a node name: RIPEstat resources are tens of bytes, a
// comma-separated list a few hundred.
const maxNodeLen = 4096

// place is where in a URL a placeholder sits; it decides the escaping.
type place int

const (
	inPath place = iota
	inQuery
	inFragment
)

// segment is one piece of a parsed template: literal text or a placeholder.
type segment struct {
	text  string // literal text, or the value of a Vars placeholder (escaped)
	node  bool   // the {node} placeholder
	place place  // where {node} sits
}

// template is a parsed URL template. It is immutable after parse.
type template struct {
	segs []segment
	size int // length of the literal parts, to size the builder
}

// parseTemplate parses raw, substitutes vars and checks the result. Every
// placeholder must be {node} or a key of vars; {node} must appear, and no
// placeholder may sit in the scheme or host.
func parseTemplate(raw string, vars map[string]string) (*template, error) {
	if raw == "" {
		return nil, errors.New("URL template is empty")
	}
	authEnd := authorityEnd(raw)
	t := &template{}
	hasNode := false
	lit := 0 // start of pending literal
	for i := 0; i < len(raw); {
		if raw[i] != '{' {
			i++
			continue
		}
		end := strings.IndexByte(raw[i:], '}')
		if end < 0 {
			return nil, fmt.Errorf("URL template: unclosed { at byte %d", i)
		}
		name := raw[i+1 : i+end]
		if !isIdent(name) {
			return nil, fmt.Errorf("URL template: bad placeholder %q at byte %d", raw[i:i+end+1], i)
		}
		if i < authEnd {
			return nil, fmt.Errorf("URL template: placeholder {%s} at byte %d is in the scheme or host", name, i)
		}
		pl := placeAt(raw, i)
		t.addLiteral(raw[lit:i])
		switch v, ok := vars[name]; {
		case name == "node":
			hasNode = true
			t.segs = append(t.segs, segment{node: true, place: pl})
		case ok:
			t.addLiteral(escape(v, pl))
		default:
			return nil, fmt.Errorf("URL template: unknown placeholder {%s} at byte %d (not node and not in Vars)", name, i)
		}
		i += end + 1
		lit = i
	}
	t.addLiteral(raw[lit:])
	if !hasNode {
		return nil, errors.New("URL template has no {node} placeholder")
	}
	u, err := url.Parse(t.expand("x"))
	if err != nil {
		return nil, fmt.Errorf("URL template: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("URL template: scheme %q is not http or https", u.Scheme)
	}
	if u.Host == "" {
		return nil, errors.New("URL template has no host")
	}
	return t, nil
}

func (t *template) addLiteral(s string) {
	if s == "" {
		return
	}
	t.size += len(s)
	if n := len(t.segs); n > 0 && !t.segs[n-1].node {
		t.segs[n-1].text += s
		return
	}
	t.segs = append(t.segs, segment{text: s})
}

// url returns the URL for node, or an error wrapping ErrBadNode.
func (t *template) url(node string) (string, error) {
	if err := checkNode(node); err != nil {
		return "", err
	}
	return t.expand(node), nil
}

func (t *template) expand(node string) string {
	var b strings.Builder
	b.Grow(t.size + 3*len(node))
	for _, s := range t.segs {
		if s.node {
			b.WriteString(escape(node, s.place))
		} else {
			b.WriteString(s.text)
		}
	}
	return b.String()
}

// checkNode rejects names that no escaping makes safe or meaningful.
func checkNode(node string) error {
	switch {
	case node == "":
		return fmt.Errorf("%w: empty", ErrBadNode)
	case len(node) > maxNodeLen:
		return fmt.Errorf("%w: %d bytes long (max %d)", ErrBadNode, len(node), maxNodeLen)
	}
	for i, r := range node {
		switch {
		case r == utf8.RuneError && !strings.HasPrefix(node[i:], "\uFFFD"):
			return fmt.Errorf("%w: invalid UTF-8 at byte %d", ErrBadNode, i)
		case unicode.IsControl(r), r == '\u2028', r == '\u2029', r == '\uFEFF':
			return fmt.Errorf("%w: control character %U at byte %d", ErrBadNode, r, i)
		}
	}
	if strings.TrimSpace(node) != node {
		return fmt.Errorf("%w: leading or trailing white space", ErrBadNode)
	}
	return nil
}

// escape escapes s for its place: in a query every reserved character is
// escaped (so "a&b=c" stays one value); in a path "/" is escaped too, so a
// node cannot add path segments ("../").
func escape(s string, p place) string {
	switch p {
	case inQuery, inFragment:
		return url.QueryEscape(s)
	default:
		if s == "." || s == ".." {
			// A whole segment of dots would climb the path.
			return strings.ReplaceAll(s, ".", "%2E")
		}
		return url.PathEscape(s)
	}
}

// authorityEnd returns the index where the path of raw begins (after
// scheme://host), or 0 when raw has no scheme.
func authorityEnd(raw string) int {
	i := strings.Index(raw, "://")
	if i < 0 {
		return 0
	}
	rest := raw[i+3:]
	if j := strings.IndexAny(rest, "/?#"); j >= 0 {
		return i + 3 + j
	}
	return len(raw)
}

// placeAt reports whether byte i of raw is in the path, query or fragment.
func placeAt(raw string, i int) place {
	q := strings.IndexByte(raw, '?')
	f := strings.IndexByte(raw, '#')
	switch {
	case f >= 0 && i > f:
		return inFragment
	case q >= 0 && i > q && (f < 0 || q < f):
		return inQuery
	}
	return inPath
}

func isIdent(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		if r != '_' && !unicode.IsLetter(r) && (i == 0 || !unicode.IsDigit(r)) {
			return false
		}
	}
	return true
}
