package budget

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// slotLife is how long a slot is held without being given back before it
// is presumed lost (its process died mid-request) and handed out again.
// A request that runs longer loses its exclusivity, not its answer.
const slotLife = 10 * time.Minute

// slotPoll bounds the wait between two tries for a slot when all are
// held: Redis has no blocking semaphore, and a release is usually near.
const slotPoll = 20 * time.Millisecond

// acquireSlot takes a slot if fewer than ARGV[1] are held, dropping the
// ones past their life first. Holders are a sorted set scored by expiry
// (ms, Redis clock). It returns 1 when the slot is taken.
// KEYS[1] slots; ARGV[1] limit, ARGV[2] token, ARGV[3] life ms.
var acquireSlot = redis.NewScript(`
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[2])
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  return 1
end
return 0`)

// Slots is a cap of N requests in flight shared by every process that
// uses the same name: a lease semaphore on Redis. A slot whose holder
// died is handed out again after slotLife. It is safe for concurrent use.
type Slots struct {
	rdb    redis.UniversalClient
	key    string
	n      int
	prefix string
	seq    atomic.Int64
	b      *Budget // for the outage policy (retry, CoordTimeout, OnUnreachable)
}

// NewSlots returns the semaphore name of n slots; b's options say how an
// outage is waited out.
func NewSlots(rdb redis.UniversalClient, name string, n int, b *Budget) (*Slots, error) {
	if n <= 0 || name == "" {
		return nil, fmt.Errorf("budget: slots %q of %d", name, n)
	}
	if b == nil {
		return nil, errors.New("budget: slots without a budget")
	}
	var id [6]byte
	_, _ = rand.Read(id[:])
	return &Slots{rdb: rdb, key: "sl:slots:{" + name + "}", n: n, prefix: hex.EncodeToString(id[:]), b: b}, nil
}

// Acquire waits for a slot; the returned function gives it back.
func (s *Slots) Acquire(ctx context.Context) (func(), error) {
	token := fmt.Sprintf("%s-%d", s.prefix, s.seq.Add(1))
	for {
		var got int64
		err := s.b.call(ctx, func(ctx context.Context) (err error) {
			got, err = acquireSlot.Run(ctx, s.rdb, []string{s.key}, s.n, token, slotLife.Milliseconds()).Int64()
			return err
		})
		if err != nil {
			return nil, err
		}
		if got == 1 {
			return func() {
				ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
				defer cancel()
				s.rdb.ZRem(ctx, s.key, token) // if lost, the slot expires
			}, nil
		}
		t := time.NewTimer(slotPoll/2 + time.Duration(mrand.Int64N(int64(slotPoll))))
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		}
	}
}
