package clock

import (
	"context"
	"sync"
	"sync/atomic"
)

// Semaphore hands out n slots, first come first served. A goroutine
// acting on a Sim (Act) that waits for a slot does not hold time: the
// slot's holder may itself be waiting for time. Create it with
// NewSemaphore; it is safe for concurrent use.
type Semaphore struct {
	mu    sync.Mutex
	free  int
	queue []*semWaiter // waiting for a slot, oldest first
}

type semWaiter struct {
	given atomic.Bool   // a slot was handed over (read by a Sim's check)
	ch    chan struct{} // closed when it is
}

// NewSemaphore returns a Semaphore of n slots.
func NewSemaphore(n int) *Semaphore { return &Semaphore{free: n} }

// Acquire takes a slot, waiting until one is free or ctx ends (its error
// is returned then, and no slot is held).
func (s *Semaphore) Acquire(ctx context.Context) error {
	s.mu.Lock()
	if s.free > 0 && len(s.queue) == 0 {
		s.free--
		s.mu.Unlock()
		return nil
	}
	if err := ctx.Err(); err != nil {
		s.mu.Unlock()
		return err
	}
	w := &semWaiter{ch: make(chan struct{})}
	s.queue = append(s.queue, w)
	s.mu.Unlock()

	unpark := park(ctx, func() bool { return w.given.Load() || ctx.Err() != nil })
	defer unpark()
	select {
	case <-w.ch:
		return nil
	case <-ctx.Done():
	}
	s.mu.Lock()
	if w.given.Load() {
		s.mu.Unlock()
		s.Release() // handed over as ctx ended: pass it on
		return ctx.Err()
	}
	for i, q := range s.queue {
		if q == w {
			s.queue = append(s.queue[:i], s.queue[i+1:]...)
			break
		}
	}
	s.mu.Unlock()
	return ctx.Err()
}

// Release gives a slot back: to the oldest waiter, if any.
func (s *Semaphore) Release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.queue) == 0 {
		s.free++
		return
	}
	w := s.queue[0]
	s.queue = s.queue[1:]
	w.given.Store(true)
	close(w.ch)
}
