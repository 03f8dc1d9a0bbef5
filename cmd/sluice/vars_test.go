package main

import (
	"strings"
	"testing"

	"github.com/sluicehq/sluice/scrape"
)

func TestExpandForManifestKeepsSecretsOut(t *testing.T) {
	tmpl := "https://api.example/v1/{token}/items/{node}?from={start}&apikey={key}"
	vars := map[string]string{"token": "s3cr3t-path-token", "start": "2026-11-22", "key": "s3cr3t-query-key"}
	got := scrape.Redact(expandForManifest(tmpl, vars))
	if strings.Contains(got, "s3cr3t") {
		t.Fatalf("a secret reached the manifest URL: %s", got)
	}
	if want := "https://api.example/v1/{token}/items/{node}?from=2026-11-22&apikey="; !strings.HasPrefix(got, want) {
		t.Errorf("got %s, want it to start with %s", got, want)
	}
}

func TestParseVars(t *testing.T) {
	for _, tt := range []struct {
		in      []string
		wantErr bool
	}{
		{[]string{"a=1", "b=x=y"}, false},
		{[]string{"novalue"}, true},
		{[]string{"=1"}, true},
	} {
		_, err := parseVars(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("parseVars(%q): err %v, want error %v", tt.in, err, tt.wantErr)
		}
	}
}
