package record_test

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"github.com/sluicehq/sluice/scrape/record"
)

func TestByNode(t *testing.T) {
	tests := []struct {
		template, url, node string
		ok                  bool
	}{
		{"https://stat.ripe.net/data/x.json?resource={node}&start={start}", "http://127.0.0.1:9/data/x.json?resource=AS3333&start=2026", "AS3333", true},
		{"https://a.example/x?resource={node}", "https://a.example/x?resource=193.0.0.0%2F21", "193.0.0.0/21", true},
		{"https://a.example/x?resource={node}", "https://a.example/x?resource=a+b", "a b", true},
		{"https://a.example/v1/{node}/updates", "https://b.example/v1/AS1%2F2/updates", "AS1/2", true},
		{"https://a.example/x?resource={node}&key=REDACTED", "https://a.example/x?resource=AS1&key=s3cret", "AS1", true},
		{"https://a.example/x?resource={node}", "https://a.example/y?resource=AS1", "", false},
		{"https://a.example/x?resource={node}", "https://a.example/x?resource=", "", false},
		{"https://a.example/{node}/{node}", "https://a.example/A/B", "", false},
		{"https://a.example/{node}/{node}", "https://a.example/A/A", "A", true},
	}
	for _, tt := range tests {
		m, err := record.ByNode(tt.template)
		if err != nil {
			t.Fatal(err)
		}
		u, _ := url.Parse(tt.url)
		node, ok := m.Node(u)
		if node != tt.node || ok != tt.ok {
			t.Errorf("ByNode(%q).Node(%s) = %q, %v; want %q, %v", tt.template, tt.url, node, ok, tt.node, tt.ok)
		}
	}
	for _, bad := range []string{"https://a.example/x", "https://a.example", "https://a.example/{node"} {
		if _, err := record.ByNode(bad); err == nil {
			t.Errorf("ByNode(%q) accepted a template without a usable {node}", bad)
		}
	}
}

// fakeTB records what strict mode reports.
type fakeTB struct{ errs []string }

func (f *fakeTB) Helper()                        {}
func (f *fakeTB) Errorf(format string, a ...any) { f.errs = append(f.errs, fmt.Sprintf(format, a...)) }

// TestStrictFailsOnUnrecorded: in strict mode a request the recording
// lacks fails the test, as well as the request; recorded ones do not.
func TestStrictFailsOnUnrecorded(t *testing.T) {
	f, err := record.Open(smallRecording(t))
	if err != nil {
		t.Fatal(err)
	}
	tb := &fakeTB{}
	tr, err := record.NewTransport(f, record.TransportOptions{Strict: tb})
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{Transport: tr}
	for i, n := range []string{"B", "C", "B"} { // B was recorded once, C never
		resp, err := c.Get("http://any.example/x?r=" + n)
		if err == nil {
			resp.Body.Close()
		}
		if wantErr := i > 0; (err != nil) != wantErr {
			t.Errorf("request %d (node %s): err %v, want an error: %v", i, n, err, wantErr)
		}
	}
	if len(tb.errs) != 2 {
		t.Fatalf("strict mode reported %q, want the unrecorded C and the second B", tb.errs)
	}
	if got := tr.Unrecorded(); len(got) != 2 {
		t.Errorf("Unrecorded() = %q", got)
	}
}
