package scrape_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/sluicehq/sluice/bench/cputime"
	"github.com/sluicehq/sluice/bench/synth"
	"github.com/sluicehq/sluice/scrape"
)

// BenchmarkClient isolates the client's own cost: a loopback server
// answers from memory (the body rendered once, identity or zstd-compressed
// once), so that nearly all the time is the client's: HTTP, decoding, the
// cap, and the extractor. Its peers run the extractor alone over the same
// bytes in memory ("extract-only"), and after a zstd decoder for the zstd
// case ("zstd+extract-only"). Compare fetch at conc=1 with its peer for the
// client's overhead on large bodies, and small/*/conc=8 req/s for its
// request rate.
func BenchmarkClient(b *testing.B) {
	for _, size := range []struct {
		name  string
		bytes int64
	}{{"small", 2 << 10}, {"large", 16 << 20}} {
		o := synth.Options{Resource: "AS3333", Seed: 1, Updates: synth.UpdatesForSize(size.bytes), Start: winStart, End: winEnd}
		var plain bytes.Buffer
		if _, err := synth.NewReader(o).WriteTo(&plain); err != nil {
			b.Fatal(err)
		}
		enc, _ := zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1))
		packed := enc.EncodeAll(plain.Bytes(), nil)
		enc.Close()
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body := plain.Bytes()
			if r.Header.Get("Accept-Encoding") != "identity" {
				body = packed
				w.Header().Set("Content-Encoding", "zstd")
			}
			w.Header().Set("Content-Length", strconv.Itoa(len(body)))
			w.Write(body)
		}))
		b.Cleanup(srv.Close)

		b.Run(size.name+"/extract-only", func(b *testing.B) {
			cnt := newCounter(b)
			b.SetBytes(int64(plain.Len()))
			b.ReportAllocs()
			cpu0 := cputime.Process()
			for b.Loop() {
				if err := cnt.consume(bytes.NewReader(plain.Bytes())); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
			b.ReportMetric(float64((cputime.Process()-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
		})
		b.Run(size.name+"/zstd+extract-only", func(b *testing.B) {
			cnt := newCounter(b)
			dec, _ := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true))
			defer dec.Close()
			b.SetBytes(int64(plain.Len()))
			b.ReportAllocs()
			cpu0 := cputime.Process()
			for b.Loop() {
				dec.Reset(&onlyReader{bytes.NewReader(packed)})
				if err := cnt.consume(dec); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
			b.ReportMetric(float64((cputime.Process()-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
		})
		for _, enc := range []string{"identity", "zstd"} {
			for _, conc := range []int{1, 8, 64} {
				b.Run(fmt.Sprintf("%s/%s/conc=%d", size.name, enc, conc), func(b *testing.B) {
					opts := scrape.Options{URL: srv.URL + "/d?resource={node}", Concurrency: conc, MaxAttempts: 1, StallTimeout: 10 * time.Second}
					if enc == "identity" {
						opts.Header = http.Header{"Accept-Encoding": {"identity"}}
					}
					c, err := scrape.New(opts)
					if err != nil {
						b.Fatal(err)
					}
					defer c.Close()
					b.SetBytes(int64(plain.Len()))
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

// onlyReader hides bytes.Reader's Len so that the zstd decoder streams,
// as it does over a network body, instead of decoding all at once.
type onlyReader struct{ r *bytes.Reader }

func (o *onlyReader) Read(p []byte) (int, error) { return o.r.Read(p) }
