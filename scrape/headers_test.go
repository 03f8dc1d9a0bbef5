package scrape

import (
	"net/http"
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
