package record_test

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/scrape"
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

// TestByRequestWithCustomSecretNames: a run that named its own secret
// (--redact acct) recorded acct=REDACTED; matching by request redacts the
// replayed requests the same way, so they find their attempts, through a
// Transport and over HTTP, and what is reported of an unrecorded request
// holds no secret.
func TestByRequestWithCustomSecretNames(t *testing.T) {
	t.Parallel()
	const secret = "s3cret-acct-77"
	for _, template := range []string{"/x?acct={acct}&r={node}", ""} {
		t.Run("template="+template, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				io.WriteString(w, "answer for "+r.URL.Query().Get("r"))
			}))
			defer api.Close()
			tmpl := template
			if tmpl != "" {
				tmpl = api.URL + tmpl
			}
			rec, err := record.Create(dir, record.Options{Template: tmpl, Vars: map[string]string{"acct": secret},
				Names: scrape.Secrets{Names: []string{"acct"}}})
			if err != nil {
				t.Fatal(err)
			}
			live := &http.Client{Transport: rec.Wrap(http.DefaultTransport)}
			for _, n := range []string{"A", "B"} {
				resp, err := live.Get(api.URL + "/x?acct=" + secret + "&r=" + n)
				if err != nil {
					t.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
			if err := rec.Close(); err != nil {
				t.Fatal(err)
			}
			f, err := record.Open(dir)
			if err != nil {
				t.Fatal(err)
			}
			if got := f.Attempts["A"]; tmpl != "" && (len(got) != 1 || strings.Contains(got[0].URL, secret)) {
				t.Fatalf("recorded %v", got)
			}

			tb := &fakeTB{}
			tr, err := record.NewTransport(f, record.TransportOptions{Matcher: record.ByRequest, Strict: tb})
			if err != nil {
				t.Fatal(err)
			}
			srv := record.NewTestServer(t, dir, record.ServerOptions{Matcher: record.ByRequest})
			for _, c := range []struct {
				name string
				base string
				hc   *http.Client
			}{{"transport", "http://elsewhere.example", &http.Client{Transport: tr}}, {"server", srv.URL, http.DefaultClient}} {
				resp, err := c.hc.Get(c.base + "/x?acct=" + secret + "&r=B")
				if err != nil {
					t.Fatalf("%s: %v", c.name, err)
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK || string(b) != "answer for B" {
					t.Errorf("%s: %d %q, want the recorded answer for B", c.name, resp.StatusCode, b)
				}
			}
			if _, err := (&http.Client{Transport: tr}).Get("http://elsewhere.example/x?acct=" + secret + "&r=C"); err == nil {
				t.Error("an unrecorded request got an answer")
			} else if !errors.Is(err, record.ErrNotRecorded) || !strings.Contains(err.Error(), "exchange for this request: GET http://elsewhere.example/x?acct=REDACTED&r=C") {
				t.Errorf("the error of an unrecorded request: %v", err) // (net/http's own prefix shows the URL as it was)
			}
			if len(tb.errs) != 1 || strings.Contains(tb.errs[0], secret) || len(tr.Unrecorded()) != 1 || strings.Contains(tr.Unrecorded()[0], secret) {
				t.Errorf("strict mode reported %q, unrecorded %q: want one report of C, without the secret", tb.errs, tr.Unrecorded())
			}
		})
	}
}
