package measure

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"time"

	"github.com/sluicehq/sluice/extract"
)

// heapSamplePeriod is how often a child samples its heap size.
const heapSamplePeriod = 2 * time.Millisecond

// RunChild runs the measurement spec describes in this process and returns
// its figures. It is what the hidden child subcommand calls; running it in
// a process that did other work first skews the memory figures.
func RunChild(ctx context.Context, spec Spec) (Sample, error) {
	run, err := newExtractFunc(spec)
	if err != nil {
		return Sample{}, err
	}
	passes := max(spec.Passes, 1)
	b := newBody(spec)
	var rec recorder
	s := Sample{Kind: spec.Kind, Passes: passes}
	var wall, source time.Duration

	runtime.GC() // start from the smallest heap this process can have
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	heap := startHeapSampler(heapSamplePeriod)
	for pass := range passes {
		if err := ctx.Err(); err != nil {
			heap.finish()
			return Sample{}, err
		}
		rec.reset()
		t0 := time.Now() // before open: a gzip header is read in open
		r, err := b.open()
		if err == nil {
			err = run(r, &rec)
		}
		wall += time.Since(t0)
		heap.mark()
		if err == nil {
			err = b.drained()
		}
		if err != nil {
			heap.finish()
			return Sample{}, fmt.Errorf("%s: pass %d: %w", spec.Kind, pass+1, err)
		}
		source += b.timed.spent
		v := rec.values()
		if pass == 0 {
			s.Values, s.BodyBytes, s.WireBytes = v, b.count.n, b.timed.n
			continue
		}
		if !v.Equal(s.Values) || b.count.n != s.BodyBytes {
			heap.finish()
			return Sample{}, fmt.Errorf("%s: pass %d found %v in %d bytes, pass 1 found %v in %d bytes",
				spec.Kind, pass+1, v, b.count.n, s.Values, s.BodyBytes)
		}
	}
	s.PeakHeapBytes = heap.finish()
	runtime.ReadMemStats(&m1)
	s.ExtractNanos = int64(wall - source)
	s.SourceNanos = int64(source)
	s.Mallocs = m1.Mallocs - m0.Mallocs
	s.AllocBytes = m1.TotalAlloc - m0.TotalAlloc
	s.GCCycles = m1.NumGC - m0.NumGC
	s.HWMBytes = peakRSS()
	return s, nil
}

// newExtractFunc prepares spec's kind: the extractor or peer is built once
// and reused by every pass, as the pipeline reuses one per worker.
func newExtractFunc(spec Spec) (extractFunc, error) {
	path := spec.Path
	if path == "" {
		path = extract.DefaultPath
	}
	switch spec.Kind {
	case KindStream, KindRegex, KindFull:
		ex, err := extract.New(extract.Options{
			Mode:       extract.Mode(spec.Kind),
			Paths:      []string{path},
			BufferSize: spec.BufferSize,
		})
		if err != nil {
			return nil, err
		}
		return func(r io.Reader, rec *recorder) error {
			_, err := ex.Run(r, rec.emit)
			return err
		}, nil
	case PeerToken, PeerUnmarshal:
		sel, err := extract.ParseSelector(path)
		if err != nil {
			return nil, err
		}
		if spec.Kind == PeerToken {
			return tokenPeer(sel), nil
		}
		return unmarshalPeer(sel)
	case KindRead:
		size := spec.BufferSize
		if size <= 0 {
			size = extract.DefaultBufferSize
		}
		buf := make([]byte, size)
		return func(r io.Reader, _ *recorder) error {
			for {
				_, err := r.Read(buf)
				if err == io.EOF {
					return nil
				}
				if err != nil {
					return err
				}
			}
		}, nil
	}
	return nil, fmt.Errorf("measure: unknown kind %q", spec.Kind)
}
