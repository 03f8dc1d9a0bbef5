package batch

import (
	"testing"
	"time"
)

func TestHumanUnits(t *testing.T) {
	bytes := []struct {
		n    int64
		want string
	}{
		{0, "0 B"}, {999, "999 B"}, {1000, "1.00 KB"}, {33_123, "33.1 KB"}, {999_499, "999 KB"}, {999_500, "1.00 MB"},
		{4_200_000, "4.20 MB"}, {1_050_000_000, "1.05 GB"},
	}
	for _, tt := range bytes {
		if got := HumanBytes(tt.n); got != tt.want {
			t.Errorf("HumanBytes(%d) = %q, want %q", tt.n, got, tt.want)
		}
	}
	rss := []struct {
		n    int64
		want string
	}{{512, "512 B"}, {45 << 20, "45.0 MiB"}, {3584 << 20, "3.50 GiB"}}
	for _, tt := range rss {
		if got := HumanRSS(tt.n); got != tt.want {
			t.Errorf("HumanRSS(%d) = %q, want %q", tt.n, got, tt.want)
		}
	}
	plurals := []struct {
		got, want string
	}{
		{Plural(1, "node"), "1 node"}, {Plural(0, "node"), "0 nodes"}, {Plural(2, "retry", "retries"), "2 retries"},
		{Plural(1, "retry", "retries"), "1 retry"},
	}
	for _, tt := range plurals {
		if tt.got != tt.want {
			t.Errorf("Plural: %q, want %q", tt.got, tt.want)
		}
	}
	durs := []struct {
		d    time.Duration
		want string
	}{
		{850 * time.Millisecond, "850ms"}, {12340 * time.Millisecond, "12.3s"}, {245 * time.Second, "4m05s"}, {7380 * time.Second, "2h03m"},
	}
	for _, tt := range durs {
		if got := humanDuration(tt.d); got != tt.want {
			t.Errorf("humanDuration(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}
