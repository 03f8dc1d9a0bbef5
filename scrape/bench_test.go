package scrape_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sluicehq/sluice/bench/cputime"
	"github.com/sluicehq/sluice/bench/mockapi"
	"github.com/sluicehq/sluice/bench/synth"
	"github.com/sluicehq/sluice/scrape"
)

// BenchmarkFetch fetches one resource's body from the mock on loopback
// (no latency, no limit, no faults) through the client into the
// extractor, at several concurrencies, for a small and a large body, and
// with the body compressed (zstd, the default) or not. Its peer,
// "extract-only", runs the same extractor over the same bytes generated
// in memory (synth, as the mock does): the difference is what the client,
// the server and loopback HTTP add. MB/s counts decoded body bytes.
func BenchmarkFetch(b *testing.B) {
	for _, size := range []struct {
		name  string
		bytes int64
	}{{"small", 2 << 10}, {"large", 16 << 20}} {
		inst := startMock(b, mockapi.Config{Seed: 1,
			Sizes: mockapi.SizeDist{Kind: mockapi.SizeFixed, Min: size.bytes, Max: size.bytes}})
		o, err := inst.Server.BodyOptions("AS3333", winStart, winEnd, false)
		if err != nil {
			b.Fatal(err)
		}
		bodySize := synthSize(b, o)
		b.Run(size.name+"/extract-only", func(b *testing.B) {
			cnt := newCounter(b)
			b.SetBytes(bodySize)
			b.ReportAllocs()
			cpu0 := cputime.Process()
			for b.Loop() {
				if err := cnt.consume(synth.NewReader(o)); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
			b.ReportMetric(float64((cputime.Process()-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
		})
		for _, enc := range []string{"identity", "zstd"} {
			for _, conc := range []int{1, 8, 64} {
				b.Run(fmt.Sprintf("%s/%s/conc=%d", size.name, enc, conc), func(b *testing.B) {
					c := mockClient(b, inst, func(o *scrape.Options) {
						o.Concurrency = conc
						o.MaxAttempts = 1
						o.StallTimeout = 10 * time.Second
						if enc == "identity" {
							o.Header = http.Header{"Accept-Encoding": {"identity"}}
						}
					})
					b.SetBytes(bodySize)
					b.ReportAllocs()
					b.ResetTimer()
					cpu0 := cputime.Process()
					var left atomic.Int64
					left.Store(int64(b.N))
					var wg sync.WaitGroup
					for range conc {
						cnt := newCounter(b)
						wg.Go(func() {
							for left.Add(-1) >= 0 {
								if _, err := c.Fetch(context.Background(), "AS3333", cnt.consume); err != nil {
									b.Error(err)
									return
								}
							}
						})
					}
					wg.Wait()
					b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
					b.ReportMetric(float64((cputime.Process()-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
				})
			}
		}
	}
}

func synthSize(b *testing.B, o synth.Options) int64 {
	n, err := io.Copy(io.Discard, synth.NewReader(o))
	if err != nil {
		b.Fatal(err)
	}
	return n
}
