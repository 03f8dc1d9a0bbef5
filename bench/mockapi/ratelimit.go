package mockapi

import (
	"sync"
	"time"
)

// limiter is the fixed-window counter of the Redis INCR+EXPIREAT recipe,
// kept in process, plus a count of open requests per client. It is safe
// for concurrent use.
type limiter struct {
	limit, maxOpen int64
	window         time.Duration

	mu      sync.Mutex
	clients map[string]*clientWindow
}

type clientWindow struct {
	start int64 // unix ns of the current window's start
	count int64 // requests in that window, refused ones included (INCR on every hit)
	open  int64 // requests being answered now
}

// verdict is what admit decided, with what the headers need.
type verdict struct {
	limited   bool      // a rate limit applies (headers are sent)
	count     int64     // this request's number in its window
	remaining int64     // requests left in the window
	reset     time.Time // end of the window
	overRate  bool      // 429: over the window's limit
	overOpen  bool      // 429: too many open requests
	open      int64     // open requests of the client including this one, if admitted
}

func newLimiter(limit, maxOpen int, window time.Duration) *limiter {
	return &limiter{limit: int64(limit), maxOpen: int64(maxOpen), window: window, clients: make(map[string]*clientWindow)}
}

// windowStart aligns now on a multiple of the window since the epoch, so
// every client's windows share their edges, as with EXPIREAT.
func (l *limiter) windowStart(now time.Time) int64 {
	ns, w := now.UnixNano(), int64(l.window)
	s := ns - ns%w
	if s > ns {
		s -= w
	}
	return s
}

// admit counts a request of client at now. If it is admitted (neither
// over flag set) the caller must call done(client) when it is answered.
func (l *limiter) admit(client string, now time.Time) verdict {
	l.mu.Lock()
	defer l.mu.Unlock()
	start := l.windowStart(now)
	c := l.clients[client]
	if c == nil {
		c = &clientWindow{start: start}
		l.clients[client] = c
	}
	if c.start != start {
		c.start, c.count = start, 0
	}
	c.count++
	v := verdict{limited: l.limit > 0, count: c.count, reset: time.Unix(0, start+int64(l.window))}
	if v.limited {
		v.remaining = max(l.limit-c.count, 0)
		v.overRate = c.count > l.limit
	}
	if !v.overRate && l.maxOpen > 0 && c.open >= l.maxOpen {
		v.overOpen = true
	}
	if !v.overRate && !v.overOpen {
		c.open++
		v.open = c.open
	}
	return v
}

func (l *limiter) done(client string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if c := l.clients[client]; c != nil {
		c.open--
	}
}
