package scrape

import (
	"context"
	"testing"
	"time"
)

// TestPacerRevokesTurns: a lower rate ends the wait of every turn handed
// out at the old rate and not yet due, and the next turn comes 1/r after
// the cut; a higher rate revokes nothing.
func TestPacerRevokesTurns(t *testing.T) {
	p := newPacer(10, 1)
	ctx := context.Background()
	now := at(0)
	first := p.reserveAt(ctx, now)
	second, third := p.reserveAt(ctx, now), p.reserveAt(ctx, now)
	if first.d != 0 || second.d != 100*time.Millisecond || third.d != 200*time.Millisecond {
		t.Fatalf("turns at 10/s: %v %v %v, want 0 100ms 200ms", first.d, second.d, third.d)
	}
	p.setRateAt(now, 20) // the probe: a higher rate
	if second.ctx.Err() != nil {
		t.Fatal("a higher rate revoked a turn")
	}
	p.setRateAt(at(10), 5) // a cut
	for i, tn := range []*turn{second, third} {
		if tn.ctx.Err() == nil {
			t.Errorf("turn %d still waits after the cut", i+2)
		}
		if !p.done(tn) {
			t.Errorf("turn %d: done reports no revocation", i+2)
		}
	}
	if p.done(first) {
		t.Error("a turn that did not wait was revoked")
	}
	if next := p.reserveAt(ctx, at(10)); next.d != 200*time.Millisecond {
		t.Errorf("first turn after the cut to 5/s waits %v, want 200ms", next.d)
	} else if p.done(next) {
		t.Error("a turn that was not cut reports a revocation")
	}
	if len(p.waiting) != 0 {
		t.Errorf("%d turns left registered", len(p.waiting))
	}
}
