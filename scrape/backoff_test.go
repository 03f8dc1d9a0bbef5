package scrape

import (
	"testing"
	"time"
)

func TestBackoffDelay(t *testing.T) {
	b := backoff{base: 100 * time.Millisecond, max: time.Second}
	tests := []struct {
		attempt int
		u       float64
		want    time.Duration
	}{
		{0, 0.5, 0},
		{1, 0, 0},
		{1, 0.5, 50 * time.Millisecond},
		{1, 0.999, 99900 * time.Microsecond},
		{2, 0.5, 100 * time.Millisecond},
		{3, 0.5, 200 * time.Millisecond},
		{4, 1, 800 * time.Millisecond},
		{5, 1, time.Second},  // 1.6 s capped
		{60, 1, time.Second}, // no overflow
	}
	for _, tt := range tests {
		if got := b.delay(tt.attempt, tt.u); got != tt.want {
			t.Errorf("delay(%d, %v) = %v, want %v", tt.attempt, tt.u, got, tt.want)
		}
	}
	if got := (backoff{}).delay(3, 0.9); got != 0 {
		t.Errorf("zero backoff waits %v", got)
	}
}
