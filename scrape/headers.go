package scrape

import (
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// serverDelay is what a response's headers say about when the next request
// may be sent. The zero value says nothing.
type serverDelay struct {
	until  time.Time // not before this instant (absolute, on our clock)
	source string    // the header that said it ("Retry-After", "X-RateLimit-Reset", "RateLimit", …), for the log
	quota  bool      // a spent quota, not a Retry-After: binds the whole client whatever the status
}

// X-RateLimit-Reset comes in three conventions, told apart by magnitude:
//
//	v < 1e9          seconds to wait (a delta; 1e9 s is 31 years)
//	1e9 ≤ v < 1e11   Unix time in seconds (2001 to 5138; GitHub, Twitter)
//	v ≥ 1e11         Unix time in milliseconds (1973 on; some Node gateways)
//
// Fractions are accepted in all three. A reset in the past says nothing.
const (
	unixThreshold   = 1e9
	unixMSThreshold = 1e11
)

// serverQuota is what one answer's rate headers say about the server's
// current window, in whichever dialect it spoke.
type serverQuota struct {
	remaining int64         // requests left in the window
	limit     int64         // requests per window; 0: not said
	reset     time.Time     // when the window ends (absolute, on our clock)
	span      time.Duration // the window's length, when a policy says it; 0: not said
	source    string        // the header that said reset, for the log
}

// parseServerDelay reads Retry-After and a spent quota (remaining 0 and a
// reset, in any dialect parseQuota reads) from h, for a response received
// at now. A Retry-After date is converted with the response's own Date
// header when there is one, so that a server whose clock is off by
// minutes still gets the delay it meant. The later of the two
// instructions wins, except that a reset less than a second before
// Retry-After is taken as the precise form of the rounded Retry-After.
func parseServerDelay(h http.Header, now time.Time) serverDelay {
	var sd serverDelay
	if v := h.Get("Retry-After"); v != "" {
		if until, ok := parseRetryAfter(v, h.Get("Date"), now); ok {
			sd = serverDelay{until: until, source: "Retry-After"}
		}
	}
	if q, ok := parseQuota(h, now); ok && q.remaining <= 0 && q.reset.After(now) {
		// Retry-After has whole seconds: a reset up to a second before
		// it is the same instruction, said more precisely.
		rounded := sd.source != "" && !q.reset.After(sd.until) && sd.until.Sub(q.reset) < time.Second
		if q.reset.After(sd.until) || rounded {
			sd = serverDelay{until: q.reset, source: q.source, quota: true}
		}
	}
	return sd
}

// parseQuota reads the server's window from the first dialect h speaks:
//
//   - the IETF structured fields (draft-ietf-httpapi-ratelimit-headers):
//     RateLimit: "policy";r=REMAINING;t=SECONDS, with RateLimit-Policy:
//     "policy";q=LIMIT;w=WINDOW, or the earlier dictionary
//     RateLimit: limit=L, remaining=R, reset=S;
//   - the earlier IETF separate fields RateLimit-Limit, -Remaining, -Reset
//     (reset in seconds);
//   - X-RateLimit-Limit, -Remaining and -Reset (see unixThreshold) or
//     -Reset-After (seconds, fractions allowed).
func parseQuota(h http.Header, now time.Time) (serverQuota, bool) {
	if v := h.Get("RateLimit"); v != "" {
		if q, ok := parseStructuredQuota(v, h.Get("RateLimit-Policy"), now); ok {
			return q, true
		}
	}
	if rem, ok := parseNumber(h.Get("RateLimit-Remaining")); ok {
		if secs, ok := parseNumber(h.Get("RateLimit-Reset")); ok && secs >= 0 {
			q := serverQuota{remaining: int64(max(rem, 0)), reset: now.Add(seconds(secs)), source: "RateLimit-Reset"}
			if l, ok := parseNumber(h.Get("RateLimit-Limit")); ok && l >= 1 {
				q.limit = int64(l)
			}
			return q, true
		}
	}
	rem, ok := parseNumber(h.Get("X-RateLimit-Remaining"))
	if !ok {
		return serverQuota{}, false
	}
	q := serverQuota{remaining: int64(max(rem, 0)), source: "X-RateLimit-Reset"}
	if reset, ok := parseReset(h.Get("X-RateLimit-Reset"), now); ok {
		q.reset = reset
	} else if secs, ok := parseNumber(h.Get("X-RateLimit-Reset-After")); ok && secs >= 0 {
		q.reset, q.source = now.Add(seconds(secs)), "X-RateLimit-Reset-After"
	} else {
		return serverQuota{}, false
	}
	if l, ok := parseNumber(h.Get("X-RateLimit-Limit")); ok && l >= 1 {
		q.limit = int64(l)
	}
	return q, true
}

// parseStructuredQuota reads RateLimit (and RateLimit-Policy) as
// structured fields (RFC 8941): an item with r and t parameters, or the
// older dictionary with remaining and reset members. Only the first list
// member is read: the policy nearest to running out comes first.
func parseStructuredQuota(v, policy string, now time.Time) (serverQuota, bool) {
	first, _, _ := strings.Cut(v, ",")
	params := sfParams(first)
	if _, ok := params["r"]; !ok { // the dictionary form: members, not parameters
		params = map[string]string{}
		for _, m := range strings.Split(v, ",") {
			k, val, _ := strings.Cut(strings.TrimSpace(m), "=")
			val, _, _ = strings.Cut(val, ";")
			params[strings.ToLower(strings.TrimSpace(k))] = strings.TrimSpace(val)
		}
		params["r"], params["t"], params["q"] = params["remaining"], params["reset"], params["limit"]
	}
	rem, ok1 := parseNumber(params["r"])
	secs, ok2 := parseNumber(params["t"])
	if !ok1 || !ok2 || secs < 0 {
		return serverQuota{}, false
	}
	q := serverQuota{remaining: int64(max(rem, 0)), reset: now.Add(seconds(secs)), source: "RateLimit"}
	if l, ok := parseNumber(params["q"]); ok && l >= 1 {
		q.limit = int64(l)
	}
	if policy != "" {
		first, _, _ := strings.Cut(policy, ",")
		pp := sfParams(first)
		if l, ok := parseNumber(pp["q"]); ok && l >= 1 {
			q.limit = int64(l)
		}
		if w, ok := parseNumber(pp["w"]); ok && w > 0 {
			q.span = seconds(w)
		}
	}
	return q, true
}

// sfParams returns the parameters (;k=v) of one structured-field item.
func sfParams(item string) map[string]string {
	out := map[string]string{}
	parts := strings.Split(item, ";")
	for _, p := range parts[1:] {
		k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
		out[strings.ToLower(strings.TrimSpace(k))] = strings.Trim(strings.TrimSpace(v), `"`)
	}
	return out
}

// parseRetryAfter parses a Retry-After value: delay-seconds (fractions
// accepted, some proxies send them) or an HTTP date.
func parseRetryAfter(v, date string, now time.Time) (time.Time, bool) {
	if secs, ok := parseNumber(v); ok {
		if secs < 0 {
			return time.Time{}, false
		}
		return now.Add(seconds(secs)), true
	}
	at, err := http.ParseTime(v)
	if err != nil {
		return time.Time{}, false
	}
	if sent, err := http.ParseTime(date); err == nil {
		return now.Add(at.Sub(sent)), true
	}
	return at, true
}

// parseReset parses X-RateLimit-Reset by magnitude (see unixThreshold).
func parseReset(v string, now time.Time) (time.Time, bool) {
	secs, ok := parseNumber(v)
	if !ok || secs < 0 {
		return time.Time{}, false
	}
	if secs >= unixMSThreshold {
		return time.UnixMilli(int64(secs)), true
	}
	if secs >= unixThreshold {
		whole, frac := math.Modf(secs)
		return time.Unix(int64(whole), int64(frac*1e9)), true
	}
	return now.Add(seconds(secs)), true
}

// parseNumber parses a finite decimal header value.
func parseNumber(v string) (float64, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}

// seconds converts a number of seconds to a Duration, saturating instead
// of overflowing.
func seconds(s float64) time.Duration {
	if s >= float64(math.MaxInt64)/1e9 {
		return math.MaxInt64
	}
	return time.Duration(s * 1e9)
}
