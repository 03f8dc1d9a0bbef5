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
		// Issue 10 item 11: Azure SAS sig=, pass=, jwt=, tok= and friends.
		{"https://a.blob/c?sv=2020&sig=AbC%2F&se=1", "https://a.blob/c?sv=2020&sig=REDACTED&se=1"},
		{"?pass=p1&passwd=p2&pwd=p3&jwt=e.y.J&tok=t1&x_tok=t2&credential=c&sessionid=s&Cookie=k",
			"?pass=REDACTED&passwd=REDACTED&pwd=REDACTED&jwt=REDACTED&tok=REDACTED&x_tok=REDACTED&credential=REDACTED&sessionid=REDACTED&Cookie=REDACTED"},
		{"?design=a&compass=b&stock=c&signal=d", "?design=a&compass=b&stock=c&signal=d"},
	}
	for _, tt := range tests {
		if got := Redact(tt.in); got != tt.want {
			t.Errorf("Redact(%q)\n got %q\nwant %q", tt.in, got, tt.want)
		}
	}
}

func TestRedactorValues(t *testing.T) {
	r := newRedactor(Secrets{}, []string{"s3cr3t-value", "s3cr3t-value-longer", "abc"})
	got := r.redact("header s3cr3t-value-longer and s3cr3t-value, abc stays (too short)")
	want := "header REDACTED and REDACTED, abc stays (too short)"
	if got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if strings.Contains(r.redact("x"), Redacted) {
		t.Error("redacted a clean string")
	}
}

// One list decides for parameters, variables, headers and cookies; Names
// adds to it (--redact).
func TestSecretsName(t *testing.T) {
	for _, n := range []string{"sig", "signature", "pass", "passwd", "password", "pwd", "secret", "token", "tok", "jwt",
		"auth", "Authorization", "credential", "session", "key", "apikey", "X-Api-Key", "Cookie", "X-Amz-Signature", "client_secret"} {
		if !SecretName(n) {
			t.Errorf("SecretName(%q) = false", n)
		}
	}
	for _, n := range []string{"resource", "starttime", "design", "compass", "stock", "node", "myparam"} {
		if SecretName(n) {
			t.Errorf("SecretName(%q) = true", n)
		}
	}
	s := Secrets{Names: []string{"MyParam"}}
	if !s.Name("myparam") || s.Redact("?myparam=v&x=1") != "?myparam=REDACTED&x=1" {
		t.Errorf("Names: %v, %q", s.Name("myparam"), s.Redact("?myparam=v&x=1"))
	}
}
