package main

import (
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSecretsReachNoOutput: secrets in the query (sig, pass, jwt, a
// --redact name), a secret-named --var, an Authorization header and a
// session cookie, sent to a server that echoes the request back in its
// error bodies, reach none of sluice's outputs: stderr at every log level
// in both formats, the manifest, the dead letters, the captures, the
// summary and the metrics.
func TestSecretsReachNoOutput(t *testing.T) {
	t.Parallel()
	secrets := []string{"s3cr3t-sig-1", "s3cr3t-pass-2", "s3cr3t-jwt-3", "s3cr3t-tok-4", "s3cr3t-mine-5", "s3cr3t-hdr-6", "s3cr3t-cookie-7"}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.Path, "AS2") { // a hostile server repeats what it got
			w.WriteHeader(http.StatusInternalServerError)
			fmt.Fprintf(w, "error for %s auth=%s cookie=%s", r.URL, r.Header.Get("Authorization"), r.Header.Get("Cookie"))
			return
		}
		fmt.Fprint(w, `{"data":{"updates":[{"timestamp":"2026-11-21T01:00:00"}]}}`)
	}))
	t.Cleanup(srv.Close)
	tmpl := srv.URL + "/d/{node}?sig=" + secrets[0] + "&pass=" + secrets[1] + "&jwt=" + secrets[2] +
		"&tok={tok}&myparam=" + secrets[4] + "&start={start}"
	nodes := writeNodes(t, []string{"AS1", "AS2", "AS3"})
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			out := filepath.Join(dir, "out")
			code, stderr := runBin(t, "scrape", "--nodes", nodes, "--out", out, "--url", tmpl,
				"--var", "tok="+secrets[3], "--var", "start=2026-11-21", "--redact", "myparam",
				"--header", "Authorization: Bearer "+secrets[5], "--header", "Cookie: session="+secrets[6],
				"--capture", "--verbose", "--log-format", format, "--progress", "text",
				"--max-attempts", "2", "--min-backoff", "1ms", "--max-backoff", "2ms",
				"--summary-json", filepath.Join(dir, "summary.json"), "--metrics-file", filepath.Join(dir, "sluice.prom"))
			if code != exitFailed {
				t.Fatalf("exit %d, want %d (AS2 dead-lettered): %s", code, exitFailed, tail(stderr))
			}
			check := func(where, text string) {
				for _, s := range secrets {
					if strings.Contains(text, s) {
						t.Errorf("%s holds secret %s:\n%s", where, s, tail(text))
					}
				}
			}
			check("stderr", stderr)
			seen := map[string]bool{}
			err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
				if err != nil || d.IsDir() {
					return err
				}
				data, err := os.ReadFile(path)
				seen[d.Name()] = true
				check(path, path+"\n"+string(data))
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{"manifest.json", "dead-letter.ndjson", "summary.json", "sluice.prom"} {
				if !seen[want] {
					t.Errorf("no %s written: the test would not see a leak there", want)
				}
			}
			if !strings.Contains(stderr, "REDACTED") {
				t.Errorf("stderr never shows REDACTED: did the error reach it?\n%s", tail(stderr))
			}
		})
	}
}
