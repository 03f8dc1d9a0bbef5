package budget

import (
	"context"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"golang.org/x/time/rate"

	"github.com/sluicehq/sluice/bench/redistest"
)

// countHook counts the commands a client sends: its round trips (a
// pipeline counts as one).
type countHook struct{ n atomic.Int64 }

func (h *countHook) DialHook(next redis.DialHook) redis.DialHook { return next }
func (h *countHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error { h.n.Add(1); return next(ctx, cmd) }
}
func (h *countHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error { h.n.Add(1); return next(ctx, cmds) }
}

// BenchmarkReserve is the cost of coordination on the hot path: one
// reservation per request against a real redis-server over loopback TCP,
// with a budget far above what the loop reaches so nobody waits, the
// server fsyncing its AOF every second (Redis's default and the README's
// advice; "always" costs an fsync per reservation). It
// reports the round trips per request and the p50 and p99 of the added
// latency, against the local x/time/rate reservation it replaces,
// measured in the same run; "redis-with-quota" adds the note of the
// server's quota that an answer with X-RateLimit headers costs.
func BenchmarkReserve(b *testing.B) {
	srv := redistest.Start(b, "--appendfsync", "everysec")
	b.Run("redis", func(b *testing.B) {
		rdb := srv.TCPClient()
		h := &countHook{}
		rdb.AddHook(h)
		bud, err := New(rdb, "bench", Options{Rate: 1e9})
		if err != nil {
			b.Fatal(err)
		}
		ctx := context.Background()
		if _, err := bud.Take(ctx); err != nil { // loads the script
			b.Fatal(err)
		}
		h.n.Store(0)
		lat := make([]time.Duration, 0, b.N)
		b.ReportAllocs()
		for b.Loop() {
			t0 := time.Now()
			if _, err := bud.Take(ctx); err != nil {
				b.Fatal(err)
			}
			lat = append(lat, time.Since(t0))
		}
		report(b, lat)
		b.ReportMetric(float64(h.n.Load())/float64(len(lat)), "round-trips/req")
	})
	// An API that announces its quota (X-RateLimit-*): each answer is
	// noted too, a second round trip per request, after the answer.
	b.Run("redis-with-quota", func(b *testing.B) {
		rdb := srv.TCPClient()
		h := &countHook{}
		rdb.AddHook(h)
		bud, err := New(rdb, "bench-quota", Options{Rate: 1e9})
		if err != nil {
			b.Fatal(err)
		}
		ctx := context.Background()
		r, err := bud.Take(ctx) // loads the scripts
		if err == nil {
			err = bud.NoteQuota(ctx, r.Seq, 1<<40, 1<<40, time.Hour, 0)
		}
		if err != nil {
			b.Fatal(err)
		}
		h.n.Store(0)
		lat := make([]time.Duration, 0, b.N)
		b.ReportAllocs()
		for b.Loop() {
			t0 := time.Now()
			r, err := bud.Take(ctx)
			if err == nil {
				err = bud.NoteQuota(ctx, r.Seq, 1<<40, 1<<40, time.Hour, 0)
			}
			if err != nil || r.Spent {
				b.Fatal(err, r)
			}
			lat = append(lat, time.Since(t0))
		}
		report(b, lat)
		b.ReportMetric(float64(h.n.Load())/float64(len(lat)), "round-trips/req")
	})
	b.Run("local", func(b *testing.B) {
		lim := rate.NewLimiter(rate.Limit(1e9), 1)
		lat := make([]time.Duration, 0, b.N)
		b.ReportAllocs()
		for b.Loop() {
			t0 := time.Now()
			_ = lim.Reserve()
			lat = append(lat, time.Since(t0))
		}
		report(b, lat)
		b.ReportMetric(0, "round-trips/req")
	})
}

func report(b *testing.B, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
}
