package scrape

import (
	"errors"
	"net/url"
	"strings"
	"testing"
)

func TestTemplateExpand(t *testing.T) {
	vars := map[string]string{"start": "2022-09-12T00:00:00", "app": "my app&x=1", "ver": "v1"}
	tests := []struct {
		name, tmpl, node, want string
	}{
		{"query", "https://stat.ripe.net/data/bgp-updates/data.json?resource={node}&starttime={start}&sourceapp={app}", "AS3333",
			"https://stat.ripe.net/data/bgp-updates/data.json?resource=AS3333&starttime=2022-09-12T00%3A00%3A00&sourceapp=my+app%26x%3D1"},
		{"query prefix", "http://127.0.0.1:8080/d?resource={node}", "193.0.0.0/21", "http://127.0.0.1:8080/d?resource=193.0.0.0%2F21"},
		{"query injection", "http://h/d?resource={node}", "a&resource=b#c", "http://h/d?resource=a%26resource%3Db%23c"},
		{"path", "http://h/{ver}/nodes/{node}/data", "a/b c", "http://h/v1/nodes/a%2Fb%20c/data"},
		{"path dots", "http://h/nodes/{node}", "..", "http://h/nodes/%2E%2E"},
		{"path query mark", "http://h/nodes/{node}", "a?b", "http://h/nodes/a%3Fb"},
		{"unicode", "http://h/d?r={node}", "é", "http://h/d?r=%C3%A9"},
		{"twice", "http://h/{node}?r={node}", "x y", "http://h/x%20y?r=x+y"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tp, err := parseTemplate(tt.tmpl, vars)
			if err != nil {
				t.Fatal(err)
			}
			got, err := tp.url(tt.node)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestTemplateErrors(t *testing.T) {
	tests := []struct{ name, tmpl, want string }{
		{"empty", "", "empty"},
		{"no node", "http://h/d?r=1", "no {node}"},
		{"unknown", "http://h/d?r={node}&x={nope}", "unknown placeholder {nope} at byte 22"},
		{"unclosed", "http://h/d?r={node", "unclosed { at byte 13"},
		{"bad name", "http://h/d?r={no de}", `bad placeholder "{no de}"`},
		{"in host", "http://{node}.example.com/d", "in the scheme or host"},
		{"scheme", "ftp://h/{node}", `scheme "ftp"`},
		{"no host", "http:///{node}", "no host"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseTemplate(tt.tmpl, nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestBadNodes(t *testing.T) {
	tp, err := parseTemplate("http://h/d?r={node}", nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, node, want string }{
		{"empty", "", "empty"},
		{"NUL", "a\x00b", "U+0000 at byte 1"},
		{"newline", "AS1\n", "U+000A at byte 3"},
		{"DEL", "a\x7f", "U+007F at byte 1"},
		{"C1", "a\u0085", "U+0085 at byte 1"},
		{"line separator", "a\u2028", "U+2028"},
		{"invalid UTF-8", "a\xffb", "invalid UTF-8 at byte 1"},
		{"leading space", " AS1", "white space"},
		{"too long", strings.Repeat("a", maxNodeLen+1), "bytes long"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tp.url(tt.node)
			if !errors.Is(err, ErrBadNode) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want ErrBadNode containing %q", err, tt.want)
			}
		})
	}
	if _, err := tp.url("a\uFFFDb"); err != nil {
		t.Errorf("a literal U+FFFD is valid UTF-8: %v", err)
	}
}

// FuzzTemplateRoundTrip checks that any node the template accepts comes
// back unchanged from the URL, in the query and in the path, without
// adding a parameter or a path segment.
func FuzzTemplateRoundTrip(f *testing.F) {
	for _, s := range []string{"AS3333", "193.0.0.0/21", "a&b=c", "..", "x y+z", "%41", "é", "a#b?c", "2001:db8::/32"} {
		f.Add(s)
	}
	tp, err := parseTemplate("http://h/nodes/{node}/data?resource={node}&x=1", nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, node string) {
		raw, err := tp.url(node)
		if err != nil {
			if !errors.Is(err, ErrBadNode) {
				t.Fatalf("error without ErrBadNode: %v", err)
			}
			return
		}
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatalf("node %q: %s does not parse: %v", node, raw, err)
		}
		q := u.Query()
		if got := q.Get("resource"); got != node || len(q) != 2 || q.Get("x") != "1" {
			t.Fatalf("node %q: query %v", node, q)
		}
		if u.Fragment != "" {
			t.Fatalf("node %q: fragment %q", node, u.Fragment)
		}
		segs := strings.Split(u.EscapedPath(), "/")
		if len(segs) != 4 || segs[1] != "nodes" || segs[3] != "data" {
			t.Fatalf("node %q: path %q", node, u.EscapedPath())
		}
		if got, err := url.PathUnescape(segs[2]); err != nil || got != node {
			t.Fatalf("node %q: path segment %q unescapes to %q (%v)", node, segs[2], got, err)
		}
	})
}
