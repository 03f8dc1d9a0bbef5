package scrape

import (
	"strings"
	"testing"
)

func TestRedact(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://h/d?resource=AS1&key=abc123", "https://h/d?resource=AS1&key=REDACTED"},
		{"https://h/d?apikey=abc&api_key=def&access_token=ghi&x=1", "https://h/d?apikey=REDACTED&api_key=REDACTED&access_token=REDACTED&x=1"},
		{"https://h/d?Token=T0K&Password=p%20w#frag", "https://h/d?Token=REDACTED&Password=REDACTED#frag"},
		{"https://h/d?X-Amz-Signature=ffff&client_secret=s", "https://h/d?X-Amz-Signature=REDACTED&client_secret=REDACTED"},
		{`Get "https://user:pw@h/d?resource=AS1": EOF`, `Get "https://REDACTED@h/d?resource=AS1": EOF`},
		{"no secrets here: resource=AS1&starttime=2022", "no secrets here: resource=AS1&starttime=2022"},
		{"auth=Bearer-xyz in a message", "auth=REDACTED in a message"},
	}
	for _, tt := range tests {
		if got := Redact(tt.in); got != tt.want {
			t.Errorf("Redact(%q)\n got %q\nwant %q", tt.in, got, tt.want)
		}
	}
}

func TestRedactorValues(t *testing.T) {
	r := newRedactor([]string{"s3cr3t-value", "s3cr3t-value-longer", "abc"})
	got := r.redact("header s3cr3t-value-longer and s3cr3t-value, abc stays (too short)")
	want := "header REDACTED and REDACTED, abc stays (too short)"
	if got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if strings.Contains(r.redact("x"), Redacted) {
		t.Error("redacted a clean string")
	}
}
