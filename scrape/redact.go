package scrape

import (
	"regexp"
	"strings"
)

// Redacted replaces every secret that Redact and the client remove.
const Redacted = "REDACTED"

// secretWords are the telltale parts of the names of query parameters,
// headers, cookies and template variables whose values are secrets:
// anywhere in the name (apikey, access_token, X-Amz-Signature, sessionid,
// client_secret, Authorization, jwt).
var secretWords = []string{"key", "token", "secret", "passw", "pwd", "auth", "credential", "signature", "session", "cookie", "jwt"}

// secretParts are secret only as a whole part of a name (sig=, pass=,
// x_tok=), since inside a word they are harmless (design, compass, stock).
var secretParts = []string{"sig", "pass", "tok"}

// Secrets decides which names hold secrets: the built-in list above, plus
// Names (case-insensitive; --redact NAME). The zero value is the built-in
// list. SecretName and Redact use the zero value.
type Secrets struct {
	Names []string
}

// Name reports whether a query parameter, header, cookie or template
// variable called name holds a secret.
func (s Secrets) Name(name string) bool {
	n := strings.ToLower(name)
	for _, w := range secretWords {
		if strings.Contains(n, w) {
			return true
		}
	}
	for _, part := range strings.FieldsFunc(n, func(r rune) bool { return !('a' <= r && r <= 'z' || '0' <= r && r <= '9') }) {
		for _, w := range secretParts {
			if part == w {
				return true
			}
		}
	}
	for _, w := range s.Names {
		if strings.EqualFold(name, w) {
			return true
		}
	}
	return false
}

// Redact returns str with the values of secret-named name=value pairs
// (query parameters, cookies, form fields) and the user:password of URLs
// replaced by REDACTED. It works on whole messages as well as on URLs.
func (s Secrets) Redact(str string) string {
	if strings.IndexByte(str, '=') >= 0 {
		str = nameValue.ReplaceAllStringFunc(str, func(m string) string {
			name, _, _ := strings.Cut(m, "=")
			if s.Name(name) {
				return name + "=" + Redacted
			}
			return m
		})
	}
	if strings.Contains(str, "@") {
		str = userinfo.ReplaceAllString(str, "${1}"+Redacted+"@")
	}
	return str
}

// SecretName reports whether a query parameter, header, cookie or template
// variable with this name holds a secret (key, token, password, sig …), as
// the Client judges when it redacts. Callers that write URLs or parameters
// somewhere (a manifest, a log of their own) use it to do the same.
func SecretName(name string) bool { return Secrets{}.Name(name) }

// nameValue finds name=value pairs in URLs and messages.
var nameValue = regexp.MustCompile(`[\w.\-\[\]%]+=[^&#\s"'<>;,]*`)

// userinfo finds user:password@ in URLs.
var userinfo = regexp.MustCompile(`(://)[^/@\s"']*@`)

// Redact returns s with the values of secret-named query parameters
// (apikey=…, access_token=…, X-Amz-Signature=…, sig=…) and the
// user:password of URLs replaced by REDACTED: Secrets{}.Redact. It cannot
// know a secret that has no telltale name: the Client also removes its
// header values and secret-named variables from everything it prints.
func Redact(s string) string { return Secrets{}.Redact(s) }

// redactor removes the secrets of one client: Redact, plus the literal
// values it was given (header values, secret-named variables). The zero
// value is Redact alone. It is immutable after construction.
type redactor struct {
	names  Secrets
	values []string // longest first, so that a secret containing another goes whole
}

// minSecretLen keeps short header values ("1", "json") from being
// redacted everywhere they appear by coincidence; a real key is longer.
const minSecretLen = 6

func newRedactor(names Secrets, values []string) redactor {
	r := redactor{names: names}
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
	return r.names.Redact(s)
}
