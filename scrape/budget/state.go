package budget

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// State is a budget as Redis holds it, for status displays.
type State struct {
	Name      string    `json:"name"`
	Rate      float64   `json:"rate"`    // requests per second now; 0: no limit
	Ceiling   float64   `json:"ceiling"` // the configured rate; 0: none
	GateUntil time.Time `json:"gate_until,omitzero"`
	Requests  int64     `json:"requests"` // reservations ever taken, every run's
	Status429 int64     `json:"status_429"`
}

// ReadState reads budget name's state at Redis's clock.
func ReadState(ctx context.Context, rdb redis.UniversalClient, name string) (State, error) {
	now, err := rdb.Time(ctx).Result()
	if err != nil {
		return State{}, fmt.Errorf("budget %s: %w", name, err)
	}
	h, err := rdb.HGetAll(ctx, "sl:budget:{"+name+"}").Result()
	if err != nil {
		return State{}, fmt.Errorf("budget %s: %w", name, err)
	}
	f := func(k string) float64 { v, _ := strconv.ParseFloat(h[k], 64); return v }
	s := State{Name: name, Ceiling: f("ceiling"), Requests: int64(f("requests")), Status429: int64(f("status429"))}
	s.Rate = s.Ceiling
	if _, cut := h["cut"]; cut {
		r, at := f("cut"), f("cutat")
		if us := float64(now.UnixMicro()); us > at {
			r += r * 0.05 * (us - at) / 1e6
		}
		if s.Ceiling == 0 || r < s.Ceiling {
			s.Rate = r
		}
	}
	if g := int64(f("gate")); g > now.UnixMicro() {
		s.GateUntil = time.UnixMicro(g)
	}
	return s, nil
}
