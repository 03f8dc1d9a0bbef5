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
	source string    // "Retry-After" or "X-RateLimit-Reset", for the log
}

// unixThreshold separates the two conventions of X-RateLimit-Reset: a
// number of seconds to wait (GitHub-style APIs send epoch seconds, most
// others a delta). No sane delta is 10⁹ seconds (31 years).
const unixThreshold = 1e9

// parseServerDelay reads Retry-After and X-RateLimit-Remaining/Reset from h,
// for a response received at now. A Retry-After date is converted with the
// response's own Date header when there is one, so that a server whose
// clock is off by minutes still gets the delay it meant. The later of the
// two instructions wins, except that a reset less than a second before
// Retry-After is taken as the precise form of the rounded Retry-After.
func parseServerDelay(h http.Header, now time.Time) serverDelay {
	var sd serverDelay
	if v := h.Get("Retry-After"); v != "" {
		if until, ok := parseRetryAfter(v, h.Get("Date"), now); ok {
			sd = serverDelay{until: until, source: "Retry-After"}
		}
	}
	if rem, ok := parseNumber(h.Get("X-RateLimit-Remaining")); ok && rem <= 0 {
		if until, ok := parseReset(h.Get("X-RateLimit-Reset"), now); ok && until.After(now) {
			// Retry-After has whole seconds: a reset up to a second before
			// it is the same instruction, said more precisely.
			rounded := sd.source != "" && !until.After(sd.until) && sd.until.Sub(until) < time.Second
			if until.After(sd.until) || rounded {
				sd = serverDelay{until: until, source: "X-RateLimit-Reset"}
			}
		}
	}
	return sd
}

// parseQuota reads X-RateLimit-Remaining, X-RateLimit-Limit (0 when
// absent) and X-RateLimit-Reset.
func parseQuota(h http.Header, now time.Time) (remaining, limit int64, reset time.Time, ok bool) {
	rem, ok1 := parseNumber(h.Get("X-RateLimit-Remaining"))
	reset, ok2 := parseReset(h.Get("X-RateLimit-Reset"), now)
	if !ok1 || !ok2 {
		return 0, 0, time.Time{}, false
	}
	if l, ok := parseNumber(h.Get("X-RateLimit-Limit")); ok && l >= 1 {
		limit = int64(l)
	}
	return int64(max(rem, 0)), limit, reset, true
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

// parseReset parses X-RateLimit-Reset: epoch seconds when large, else a
// delay in seconds.
func parseReset(v string, now time.Time) (time.Time, bool) {
	secs, ok := parseNumber(v)
	if !ok || secs < 0 {
		return time.Time{}, false
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
