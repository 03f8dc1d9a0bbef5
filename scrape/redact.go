package scrape

import (
	"regexp"
	"strings"
)

// Redacted replaces every secret that Redact and the client remove.
const Redacted = "REDACTED"

// secretName matches the names of query parameters, headers and template
// variables whose values are secrets.
var secretName = regexp.MustCompile(`(?i)(key|token|secret|passw|pwd|auth|credential|signature|session|cookie)`)

// SecretName reports whether a query parameter, header or template
// variable with this name holds a secret (key, token, password …), as the
// Client judges when it redacts. Callers that write URLs or parameters
// somewhere (a manifest, a log of their own) use it to do the same.
func SecretName(name string) bool { return secretName.MatchString(name) }

// secretParam finds name=value pairs in URLs and messages whose name looks
// secret; group 1 is the name with its "=", group 2 the value.
var secretParam = regexp.MustCompile(`(?i)([\w.\-\[\]%]*(?:key|token|secret|passw|pwd|auth|credential|signature|session)[\w.\-\[\]%]*=)([^&#\s"'<>;,]*)`)

// userinfo finds user:password@ in URLs.
var userinfo = regexp.MustCompile(`(://)[^/@\s"']*@`)

// Redact returns s with the values of key/token/secret/password-like query
// parameters (apikey=…, access_token=…, X-Amz-Signature=…) and the
// user:password of URLs replaced by REDACTED. It works on whole messages
// as well as on URLs. It cannot know a secret that has no telltale name:
// the Client also removes its header values and secret-named variables
// from everything it prints.
func Redact(s string) string {
	if strings.IndexByte(s, '=') >= 0 {
		s = secretParam.ReplaceAllString(s, "${1}"+Redacted)
	}
	if strings.Contains(s, "@") {
		s = userinfo.ReplaceAllString(s, "${1}"+Redacted+"@")
	}
	return s
}

// redactor removes the secrets of one client: Redact, plus the literal
// values it was given (header values, secret-named variables). The zero
// value is Redact alone. It is immutable after construction.
type redactor struct {
	values []string // longest first, so that a secret containing another goes whole
}

// minSecretLen keeps short header values ("1", "json") from being
// redacted everywhere they appear by coincidence; a real key is longer.
const minSecretLen = 6

func newRedactor(values []string) redactor {
	var r redactor
	for _, v := range values {
		if len(v) >= minSecretLen {
			r.values = append(r.values, v)
		}
	}
	// Longest first: insertion sort, the list is a handful of values.
	for i := 1; i < len(r.values); i++ {
		for j := i; j > 0 && len(r.values[j]) > len(r.values[j-1]); j-- {
			r.values[j], r.values[j-1] = r.values[j-1], r.values[j]
		}
	}
	return r
}

func (r redactor) redact(s string) string {
	for _, v := range r.values {
		if strings.Contains(s, v) {
			s = strings.ReplaceAll(s, v, Redacted)
		}
	}
	return Redact(s)
}
