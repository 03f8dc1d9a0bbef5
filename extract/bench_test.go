package extract

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/sluicehq/sluice/bench/synth"
	"github.com/sluicehq/sluice/bench/testenv"
)

// The RIPEstat-shaped bodies shared by the tests and the benchmarks, built
// once per process.
var (
	smallRIPEBody = sync.OnceValue(func() ripeBody { return newRIPEBody(4 << 20) })
	largeRIPEBody = sync.OnceValue(func() ripeBody { return newRIPEBody(64 << 20) })
	tinyRIPEBody  = sync.OnceValue(func() ripeBody { return newRIPEBody(256 << 10) })
)

type ripeBody struct {
	data  []byte
	truth synth.Truth
}

func newRIPEBody(size int64) ripeBody {
	o := synth.Options{Resource: "AS3333", Seed: 7, Updates: synth.UpdatesForSize(size)}
	var buf bytes.Buffer
	if _, err := synth.NewReader(o).WriteTo(&buf); err != nil {
		panic(err) // synth writes to memory: cannot fail
	}
	return ripeBody{data: buf.Bytes(), truth: o.Truth()}
}

// benchPaths are what sluice reads from every RIPEstat answer.
var benchPaths = []string{DefaultPath, "status"}

// extractors lists every way to get the timestamps out of a body: the
// three modes through New, strict stream, stream's pure-Go path, and the
// peers: encoding/json's Decoder.Token, jsonparser and jsoniter.
// A mode that New rejects (not built yet) is reported as such.
func extractors() []struct {
	name string
	run  func(body []byte, emit EmitFunc) error
	err  error
} {
	type ex = struct {
		name string
		run  func(body []byte, emit EmitFunc) error
		err  error
	}
	var out []ex
	for _, o := range []Options{{Mode: Stream}, {Mode: Stream, Strict: true}, {Mode: Regex}, {Mode: Full}} {
		name := string(o.Mode)
		if o.Strict {
			name += "-strict"
		}
		o.Paths = benchPaths
		if o.Mode == Regex {
			o.Paths = benchPaths[:1]
		}
		e, err := New(o)
		out = append(out, ex{name: name, err: err, run: func(body []byte, emit EmitFunc) error {
			_, err := e.Run(bytes.NewReader(body), emit)
			return err
		}})
	}
	// The pure-Go path: the byte loop alone, as without AVX2 or with the
	// purego tag.
	for _, strict := range []bool{false, true} {
		name := "stream-purego"
		if strict {
			name = "stream-strict-purego"
		}
		e, err := New(Options{Paths: benchPaths, Strict: strict})
		if err == nil {
			e.sc.(*streamScanner).blocks = blocksOff
		}
		out = append(out, ex{name: name, err: err, run: func(body []byte, emit EmitFunc) error {
			_, err := e.Run(bytes.NewReader(body), emit)
			return err
		}})
	}
	out = append(out, ex{name: "decoder-token", run: func(body []byte, emit EmitFunc) error {
		return decoderTokenWalk(bytes.NewReader(body), emit)
	}})
	return append(out, peerExtractors()...)
}

// TestRIPEBody checks every extractor against the generator's ground truth
// on the body the benchmarks use (a smaller one).
func TestRIPEBody(t *testing.T) {
	body := smallRIPEBody()
	if testenv.Quick() {
		body = tinyRIPEBody() // Decoder.Token under -race is slow
	}
	for _, x := range extractors() {
		t.Run(x.name, func(t *testing.T) {
			if x.err != nil {
				t.Skipf("mode not available: %v", x.err)
			}
			var n int64
			var tally Tally
			var status []byte
			err := x.run(body.data, func(sel int, raw []byte) error {
				if sel == 1 {
					status = append(status[:0], raw...)
					return nil
				}
				n++
				tally.Add(raw)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if n != body.truth.Count || tally.Count != body.truth.Count || tally.First != body.truth.First || tally.Last != body.truth.Last {
				t.Errorf("got %d values, tally %d [%d, %d]; truth %d [%d, %d]",
					n, tally.Count, tally.First, tally.Last, body.truth.Count, body.truth.First, body.truth.Last)
			}
			// jsonparser hands strings over without their quotes.
			if x.name != "regex" && string(status) != `"ok"` && !(x.name == "jsonparser" && string(status) == "ok") {
				t.Errorf("status %q", status)
			}
		})
	}
}

// BenchmarkExtract measures each extractor on a 64 MiB RIPEstat-shaped
// body. Compare the modes with the decoder-token peer of the same run:
//
//	go test -run '^$' -bench Extract -benchtime 5x ./extract
func BenchmarkExtract(b *testing.B) { benchExtract(b, largeRIPEBody()) }

// BenchmarkExtractSmall is BenchmarkExtract on a 4 MiB body: short runs,
// whose best times are steadier on a busy machine.
func BenchmarkExtractSmall(b *testing.B) { benchExtract(b, smallRIPEBody()) }

func benchExtract(b *testing.B, body ripeBody) {
	runtime.GC() // finish collecting what building the body left, outside the timings
	for _, x := range extractors() {
		b.Run(x.name, func(b *testing.B) {
			if x.err != nil {
				b.Skipf("mode not available: %v", x.err)
			}
			b.SetBytes(int64(len(body.data)))
			b.ReportAllocs()
			var n int64
			emit := func(sel int, raw []byte) error {
				n++
				return nil
			}
			var cpu time.Duration
			for b.Loop() {
				n = 0
				c0 := cpuTime()
				if err := x.run(body.data, emit); err != nil {
					b.Fatal(err)
				}
				cpu += cpuTime() - c0
			}
			b.ReportMetric(float64(n), "values/op")
			if cpu > 0 {
				b.ReportMetric(float64(len(body.data))*float64(b.N)/cpu.Seconds()/1e6, "cpu-MB/s")
			}
		})
	}
}

// decoderTokenWalk is the encoding/json peer: json.Decoder.Token walks to
// data.updates[*].timestamp and status, visiting every token.
func decoderTokenWalk(r io.Reader, emit EmitFunc) error {
	dec := json.NewDecoder(r)
	dec.UseNumber()
	var scratch []byte
	return walkTokens(dec, make([]string, 0, 16), &scratch, emit)
}

// walkTokens consumes one value whose path from the root is at ("*" for
// an array element).
func walkTokens(dec *json.Decoder, at []string, scratch *[]byte, emit EmitFunc) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch tok {
	case json.Delim('{'):
		for dec.More() {
			k, err := dec.Token()
			if err != nil {
				return err
			}
			if err := walkTokens(dec, append(at, k.(string)), scratch, emit); err != nil {
				return err
			}
		}
		_, err = dec.Token()
		return err
	case json.Delim('['):
		for dec.More() {
			if err := walkTokens(dec, append(at, "*"), scratch, emit); err != nil {
				return err
			}
		}
		_, err = dec.Token()
		return err
	}
	sel := -1
	switch {
	case len(at) == 4 && at[0] == "data" && at[1] == "updates" && at[2] == "*" && at[3] == "timestamp":
		sel = 0
	case len(at) == 1 && at[0] == "status":
		sel = 1
	}
	if sel < 0 {
		return nil
	}
	switch v := tok.(type) {
	case string:
		*scratch = strconv.AppendQuote((*scratch)[:0], v)
	case json.Number:
		*scratch = append((*scratch)[:0], v...)
	default:
		*scratch = fmt.Append((*scratch)[:0], v)
	}
	return emit(sel, *scratch)
}
