package scrape

import (
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

func at(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }

func TestGateSteps(t *testing.T) {
	var g gate
	steps := []struct {
		name      string
		now       int // ms
		closeTo   int // ms; -1: no close this step
		wantMoved bool
		wantDelay time.Duration
	}{
		{"open at start", 0, -1, false, 0},
		{"server says wait 500ms", 100, 600, true, 500 * time.Millisecond},
		{"later in the wait", 400, -1, false, 200 * time.Millisecond},
		{"older reset cannot reopen", 450, 500, false, 150 * time.Millisecond},
		{"newer reset extends", 500, 900, true, 400 * time.Millisecond},
		{"reset in the past is ignored", 950, 800, false, 0},
		{"open after reset", 900, -1, false, 0},
	}
	for _, s := range steps {
		now := at(s.now)
		if s.closeTo >= 0 {
			if moved := g.closeUntilAt(now, at(s.closeTo)); moved != s.wantMoved {
				t.Errorf("%s: moved = %v, want %v", s.name, moved, s.wantMoved)
			}
		}
		if d := g.delayAt(now); d != s.wantDelay {
			t.Errorf("%s: delay = %v, want %v", s.name, d, s.wantDelay)
		}
	}
}

func TestGateCapsServerDelay(t *testing.T) {
	var g gate
	g.closeUntilAt(t0, t0.Add(7*24*time.Hour))
	if d := g.delayAt(t0); d != maxServerDelay {
		t.Fatalf("delay = %v, want the cap %v", d, maxServerDelay)
	}
}
