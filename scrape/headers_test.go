package scrape

import (
	"net/http"
	"strconv"
	"testing"
	"time"
)

func TestParseServerDelay(t *testing.T) {
	now := t0
	date := now.UTC().Format(http.TimeFormat)
	tests := []struct {
		name   string
		h      map[string]string
		want   time.Duration // 0: no delay
		source string
	}{
		{"nothing", nil, 0, ""},
		{"retry-after seconds", map[string]string{"Retry-After": "3"}, 3 * time.Second, "Retry-After"},
		{"retry-after fraction", map[string]string{"Retry-After": "0.25"}, 250 * time.Millisecond, "Retry-After"},
		{"retry-after date", map[string]string{"Retry-After": now.Add(5 * time.Second).UTC().Format(http.TimeFormat)}, 5 * time.Second, "Retry-After"},
		{"epoch ms reset", map[string]string{"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": strconv.FormatInt(now.Add(1500*time.Millisecond).UnixMilli(), 10)}, 1500 * time.Millisecond, "X-RateLimit-Reset"},
		{"reset-after fractional", map[string]string{"X-RateLimit-Remaining": "0", "X-RateLimit-Reset-After": "2.5"}, 2500 * time.Millisecond, "X-RateLimit-Reset-After"},
		{"IETF structured", map[string]string{"RateLimit": `"default";r=0;t=7`, "RateLimit-Policy": `"default";q=100;w=60`}, 7 * time.Second, "RateLimit"},
		{"IETF structured, room left", map[string]string{"RateLimit": `"default";r=3;t=7`}, 0, ""},
		{"IETF dictionary (earlier draft)", map[string]string{"RateLimit": "limit=10, remaining=0, reset=4"}, 4 * time.Second, "RateLimit"},
		{"IETF separate fields", map[string]string{"RateLimit-Limit": "10", "RateLimit-Remaining": "0", "RateLimit-Reset": "3"}, 3 * time.Second, "RateLimit-Reset"},
		{"absurd reset is kept (the gate caps it)", map[string]string{"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "99999999"}, 99999999 * time.Second, "X-RateLimit-Reset"},
		{"retry-after date, server clock 1h ahead",
			map[string]string{"Date": now.Add(time.Hour).UTC().Format(http.TimeFormat), "Retry-After": now.Add(time.Hour + 7*time.Second).UTC().Format(http.TimeFormat)},
			7 * time.Second, "Retry-After"},
		{"retry-after garbage", map[string]string{"Retry-After": "soon"}, 0, ""},
		{"retry-after negative", map[string]string{"Retry-After": "-4"}, 0, ""},
		{"remaining>0 ignores reset", map[string]string{"X-RateLimit-Remaining": "3", "X-RateLimit-Reset": "2"}, 0, ""},
		{"remaining 0 delta reset", map[string]string{"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "2"}, 2 * time.Second, "X-RateLimit-Reset"},
		{"remaining 0 fractional reset", map[string]string{"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "0.150"}, 150 * time.Millisecond, "X-RateLimit-Reset"},
		{"remaining 0 epoch reset", map[string]string{"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1795953610"}, time.Unix(1795953610, 0).Sub(now), "X-RateLimit-Reset"},
		{"remaining 0 no reset", map[string]string{"X-RateLimit-Remaining": "0"}, 0, ""},
		{"later of both wins", map[string]string{"Retry-After": "1", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "4", "Date": date}, 4 * time.Second, "X-RateLimit-Reset"},
		{"precise reset beats rounded Retry-After", map[string]string{"Retry-After": "1", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "0.3"}, 300 * time.Millisecond, "X-RateLimit-Reset"},
		{"reset much earlier than Retry-After loses", map[string]string{"Retry-After": "3", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "0.3"}, 3 * time.Second, "Retry-After"},
		{"reset in the past", map[string]string{"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1000000000"}, 0, ""},
		{"retry-after later", map[string]string{"Retry-After": "9", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "4"}, 9 * time.Second, "Retry-After"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			for k, v := range tt.h {
				h.Set(k, v)
			}
			sd := parseServerDelay(h, now)
			var got time.Duration
			if !sd.until.IsZero() {
				got = sd.until.Sub(now)
			}
			if got != tt.want || sd.source != tt.source {
				t.Errorf("got %v from %q, want %v from %q", got, sd.source, tt.want, tt.source)
			}
		})
	}
}

// TestParseQuota: every dialect gives remaining, limit, reset and, from a
// policy, the window's length.
func TestParseQuota(t *testing.T) {
	now := t0
	tests := []struct {
		name        string
		h           map[string]string
		rem, limit  int64
		reset, span time.Duration
		ok          bool
	}{
		{"none", nil, 0, 0, 0, 0, false},
		{"x-ratelimit delta", map[string]string{"X-RateLimit-Limit": "60", "X-RateLimit-Remaining": "5", "X-RateLimit-Reset": "30"}, 5, 60, 30 * time.Second, 0, true},
		{"x-ratelimit epoch s", map[string]string{"X-RateLimit-Remaining": "5", "X-RateLimit-Reset": strconv.FormatInt(now.Add(time.Minute).Unix(), 10)}, 5, 0, time.Minute, 0, true},
		{"x-ratelimit reset-after", map[string]string{"X-RateLimit-Remaining": "1", "X-RateLimit-Reset-After": "0.5"}, 1, 0, 500 * time.Millisecond, 0, true},
		{"remaining without reset", map[string]string{"X-RateLimit-Remaining": "1"}, 0, 0, 0, 0, false},
		{"IETF structured + policy", map[string]string{"RateLimit": `"burst";r=40;t=2, "daily";r=900;t=3600`, "RateLimit-Policy": `"burst";q=50;w=10, "daily";q=1000;w=86400`}, 40, 50, 2 * time.Second, 10 * time.Second, true},
		{"IETF separate", map[string]string{"RateLimit-Limit": "100", "RateLimit-Remaining": "-3", "RateLimit-Reset": "1.5"}, 0, 100, 1500 * time.Millisecond, 0, true},
		{"IETF garbage falls back to X-", map[string]string{"RateLimit": "??", "X-RateLimit-Remaining": "2", "X-RateLimit-Reset": "1"}, 2, 0, time.Second, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			for k, v := range tt.h {
				h.Set(k, v)
			}
			q, ok := parseQuota(h, now)
			var reset time.Duration
			if !q.reset.IsZero() {
				reset = q.reset.Sub(now)
			}
			if ok != tt.ok || q.remaining != tt.rem || q.limit != tt.limit || reset != tt.reset || q.span != tt.span {
				t.Errorf("got %+v (reset +%v) ok %v, want rem %d limit %d reset %v span %v ok %v",
					q, reset, ok, tt.rem, tt.limit, tt.reset, tt.span, tt.ok)
			}
		})
	}
}
