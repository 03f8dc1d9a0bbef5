package budget

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sluicehq/sluice/scrape/clock"
)

// Defaults used where Options leaves a field zero.
const (
	DefaultCoordTimeout = 2 * time.Minute
	// keyLife is how long an unused budget lives: long enough that a
	// run's pauses keep its learned rate, short enough that a budget
	// nobody uses any more goes away.
	keyLife = 7 * 24 * time.Hour
	// callTimeout bounds one script call; a server that does not answer
	// in that time counts as unreachable.
	callTimeout = 5 * time.Second
	minRetry    = 50 * time.Millisecond
	maxRetry    = 2 * time.Second
)

// ErrUnreachable is returned (wrapped) by Reserve when Redis has not
// answered for CoordTimeout: no request may be sent without a token.
var ErrUnreachable = errors.New("budget: redis unreachable")

// Options configures a Budget. The zero value means no ceiling, burst 1,
// DefaultCoordTimeout, no logging and time.Now.
type Options struct {
	// Rate is the budget's ceiling in requests per second, the rate it
	// starts at and never exceeds; zero means none until a 429.
	// Processes sharing a budget should agree on it: each reservation
	// uses the caller's.
	Rate float64
	// Burst is how many requests may go at once after a quiet spell;
	// zero means 1 (evenly spaced).
	Burst int
	// CoordTimeout is how long Reserve keeps retrying an unreachable
	// Redis before it gives up with ErrUnreachable; zero means
	// DefaultCoordTimeout.
	CoordTimeout time.Duration
	// OnUnreachable, when set, is called once when Reserve gives up,
	// before it returns: the run uses it to stop (its context's cause)
	// rather than fail the node that was waiting.
	OnUnreachable func(error)
	Logger        *slog.Logger
	// Clock is the clock of the waits (a reservation's turn, the retries
	// of an outage) and of CoordTimeout's deadline; nil means the system
	// clock. Pass the scrape client's, so that a test's fake time moves
	// both.
	Clock clock.Clock
}

// Budget is one named request budget on Redis. It is safe for concurrent
// use; create one per process and share it among its workers. Reserve is
// the method most callers want, once per request.
type Budget struct {
	rdb  redis.UniversalClient
	name string
	key  string
	o    Options

	mu        sync.Mutex
	rate      float64   // the last rate a script answered; 0: none
	downSince time.Time // first failed call of the current outage; zero: up
	gaveUp    bool
}

// New returns the budget named name on rdb. It does not talk to Redis.
func New(rdb redis.UniversalClient, name string, o Options) (*Budget, error) {
	switch {
	case name == "":
		return nil, errors.New("budget: empty name")
	case o.Rate < 0 || math.IsNaN(o.Rate) || math.IsInf(o.Rate, 0):
		return nil, fmt.Errorf("budget: rate %v", o.Rate)
	case o.Burst < 0 || o.CoordTimeout < 0:
		return nil, fmt.Errorf("budget: negative burst %d or coord timeout %v", o.Burst, o.CoordTimeout)
	}
	if o.Burst == 0 {
		o.Burst = 1
	}
	if o.CoordTimeout == 0 {
		o.CoordTimeout = DefaultCoordTimeout
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	o.Clock = clock.Or(o.Clock)
	return &Budget{rdb: rdb, name: name, key: "sl:budget:{" + name + "}", o: o, rate: o.Rate}, nil
}

// Name is the budget's name.
func (b *Budget) Name() string { return b.name }

// Reservation is one request's turn.
type Reservation struct {
	Wait time.Duration // sleep this long, then send (Spent: then ask again)
	Slot time.Time     // the instant, on Redis's clock, the request may go
	Rate float64       // the budget's rate when reserved; 0: no limit
	Seq  uint64        // the request's number in the budget's sequence; 0 when Spent
	// Spent: the server's known quota (NoteQuota) has no room; nothing
	// was reserved. Wait, then take again.
	Spent bool
}

// Reserve takes the next request's turn and returns how long to wait
// before sending it. While the server's known quota is spent it waits
// for the window's reset and takes again. Take says more.
func (b *Budget) Reserve(ctx context.Context) (time.Duration, error) {
	for {
		r, err := b.Take(ctx)
		if err != nil || !r.Spent {
			return r.Wait, err
		}
		if err := clock.Sleep(ctx, b.o.Clock, r.Wait); err != nil {
			return 0, err
		}
	}
}

// ReserveSeq is Reserve for scrape.Client (scrape.SharedQuota): it
// returns the request's number in the budget's sequence, or 0 with the
// wait until the server's spent quota may have room (the caller waits on
// its clock, then asks again).
func (b *Budget) ReserveSeq(ctx context.Context) (time.Duration, uint64, error) {
	r, err := b.Take(ctx)
	return r.Wait, r.Seq, err
}

// NoteQuota tells every process of the budget what the answer to request
// seq (ReserveSeq's) said of the server's window: remaining requests
// after it, the window's reset (from now), and its limit and length when
// known (0: unknown). Requests reserved after seq, by any process, spend
// what remains; when it is spent, Take answers Spent until the reset. So
// N processes together do not overspend one window. One round trip, on
// each answer that carries a quota.
func (b *Budget) NoteQuota(ctx context.Context, seq uint64, remaining, limit int64, reset, span time.Duration) error {
	return b.call(ctx, func(ctx context.Context) error {
		return quota.Run(ctx, b.rdb, []string{b.key}, seq, max(remaining, 0), max(reset, 0).Microseconds(),
			max(limit, 0), max(span, 0).Microseconds(), keyLife.Milliseconds()).Err()
	})
}

// Take takes the next request's turn: one round trip. While Redis is
// unreachable it retries with back-off; after CoordTimeout of failures it
// returns an error wrapping ErrUnreachable. It returns ctx's error when
// ctx ends first. A reservation not used (ctx ended during the wait) is
// not given back: the budget errs on the slow side.
func (b *Budget) Take(ctx context.Context) (Reservation, error) {
	var out []string
	err := b.call(ctx, func(ctx context.Context) (err error) {
		out, err = reserve.Run(ctx, b.rdb, []string{b.key}, b.o.Rate, b.o.Burst, keyLife.Milliseconds()).StringSlice()
		if err == nil && len(out) != 5 {
			err = fmt.Errorf("reserve answered %v", out)
		}
		return err
	})
	if err != nil {
		return Reservation{}, err
	}
	wait, _ := strconv.ParseInt(out[0], 10, 64)
	slot, _ := strconv.ParseInt(out[1], 10, 64)
	milli, _ := strconv.ParseInt(out[2], 10, 64)
	seq, _ := strconv.ParseUint(out[3], 10, 64)
	r := Reservation{Wait: time.Duration(wait) * time.Microsecond, Slot: time.UnixMicro(slot), Rate: float64(milli) / 1000,
		Seq: seq, Spent: out[4] == "1"}
	b.mu.Lock()
	b.rate = r.Rate
	b.mu.Unlock()
	return r, nil
}

// Throttled tells every process of the budget what a server said: wait
// is how long it asked every client to hold back (0: it did not say),
// age how long ago the request was sent; limited is true for a 429 (which
// cuts the rate), false for a client-wide delay alone (a spent quota).
// It returns the new rate (0: no limit). One round trip, only on such
// answers.
func (b *Budget) Throttled(ctx context.Context, wait, age time.Duration, limited bool) (float64, error) {
	var milli int64
	lim := "0"
	if limited {
		lim = "1"
	}
	err := b.call(ctx, func(ctx context.Context) (err error) {
		milli, err = throttle.Run(ctx, b.rdb, []string{b.key}, max(wait, 0).Microseconds(), max(age, 0).Microseconds(),
			b.o.Rate, lim, keyLife.Milliseconds()).Int64()
		return err
	})
	if err != nil {
		return 0, err
	}
	r := float64(milli) / 1000
	b.mu.Lock()
	b.rate = r
	b.mu.Unlock()
	return r, nil
}

// Rate is the budget's rate as last answered (0: no limit).
func (b *Budget) Rate() float64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.rate
}

// call runs one script call, retrying while Redis is unreachable, up to
// CoordTimeout counted from the first failure of the outage (shared by
// every caller of the Budget: an outage is the process's, not the
// request's).
func (b *Budget) call(ctx context.Context, f func(context.Context) error) error {
	wait := minRetry
	for {
		cctx, cancel := context.WithTimeout(ctx, callTimeout)
		err := f(cctx)
		cancel()
		if err == nil {
			b.up()
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if isScriptError(err) {
			return fmt.Errorf("budget %s: %w", b.name, err)
		}
		down, first := b.down()
		if first {
			b.o.Logger.Warn("redis unreachable, retrying", "budget", b.name, "err", err, "timeout", b.o.CoordTimeout)
		}
		if b.o.Clock.Now().Sub(down) >= b.o.CoordTimeout {
			err = fmt.Errorf("%w for %v (budget %s): %w", ErrUnreachable, b.o.CoordTimeout, b.name, err)
			b.giveUp(err)
			return err
		}
		if err := clock.Sleep(ctx, b.o.Clock, wait); err != nil {
			return err
		}
		wait = min(2*wait, maxRetry)
	}
}

// isScriptError tells a Redis error answer (a bug, not an outage) from a
// network one. A server loading its AOF after a restart, or busy, answers
// with an error too: that is an outage, and waited out.
func isScriptError(err error) bool {
	var re redis.Error
	if !errors.As(err, &re) || errors.Is(err, redis.ErrClosed) {
		return false
	}
	for _, p := range []string{"LOADING", "BUSY", "TRYAGAIN", "CLUSTERDOWN", "MASTERDOWN", "READONLY"} {
		if strings.HasPrefix(re.Error(), p) {
			return false
		}
	}
	return true
}

func (b *Budget) up() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.downSince.IsZero() {
		b.o.Logger.Info("redis reachable again", "budget", b.name, "after", b.o.Clock.Now().Sub(b.downSince))
	}
	b.downSince, b.gaveUp = time.Time{}, false
}

func (b *Budget) down() (since time.Time, first bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.downSince.IsZero() {
		b.downSince = b.o.Clock.Now()
		first = true
	}
	return b.downSince, first
}

func (b *Budget) giveUp(err error) {
	b.mu.Lock()
	first := !b.gaveUp
	b.gaveUp = true
	b.mu.Unlock()
	if first && b.o.OnUnreachable != nil {
		b.o.OnUnreachable(err)
	}
}
