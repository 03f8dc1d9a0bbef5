package measure

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"time"

	"github.com/sluicehq/sluice/bench/cputime"
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
	c := &child{spec: spec, run: run, body: newBody(spec)}
	// One thread for the passes, so that the source's thread CPU time is
	// the CPU time it took (see timedReader).
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if spec.Warmup {
		if _, err := c.pass(ctx, 0); err != nil {
			return Sample{}, err
		}
	}
	passes := max(spec.Passes, 1)
	s := Sample{Kind: spec.Kind, Passes: passes}

	runtime.GC() // start from the smallest heap this process can have
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	c.heap = startHeapSampler(heapSamplePeriod)
	for i := range passes {
		v, err := c.pass(ctx, i+1)
		if err != nil {
			c.heap.finish()
			return Sample{}, err
		}
		if i == 0 {
			s.Values, s.BodyBytes, s.WireBytes = v, c.body.count.n, c.body.timed.n
			continue
		}
		if !v.Equal(s.Values) || c.body.count.n != s.BodyBytes {
			c.heap.finish()
			return Sample{}, fmt.Errorf("%s: pass %d found %v in %d bytes, pass 1 found %v in %d bytes",
				spec.Kind, i+1, v, c.body.count.n, s.Values, s.BodyBytes)
		}
	}
	s.PeakHeapBytes = c.heap.finish()
	runtime.ReadMemStats(&m1)
	s.ExtractNanos = int64(c.wall - c.source)
	s.ExtractCPUNanos = max(int64(c.cpu-c.sourceCPU), 0)
	s.SourceNanos = int64(c.source)
	s.Mallocs = m1.Mallocs - m0.Mallocs
	s.AllocBytes = m1.TotalAlloc - m0.TotalAlloc
	s.GCCycles = m1.NumGC - m0.NumGC
	s.HWMBytes = peakRSS()
	return s, nil
}

// child is the state of RunChild: the measured function, the body, and
// the time of the timed passes.
type child struct {
	spec           Spec
	run            extractFunc
	body           *body
	rec            recorder
	heap           *heapSampler // nil during the warm-up
	wall, source   time.Duration
	cpu, sourceCPU time.Duration // process CPU time of the timed passes, and the source's share
}

// pass extracts the body once; pass 0 is the warm-up and is not timed.
func (c *child) pass(ctx context.Context, n int) (Values, error) {
	if err := ctx.Err(); err != nil {
		return Values{}, err
	}
	c.rec.reset()
	t0, c0 := time.Now(), cputime.Process() // before open: a gzip header is read in open
	r, err := c.body.open()
	if err == nil {
		err = c.run(r, &c.rec)
	}
	wall, cpu := time.Since(t0), cputime.Process()-c0
	// The source's share is taken now, before drained reads once more:
	// that read is outside wall, and counted in it, a short pass's source
	// time came out longer than its wall (a negative extract time).
	spent, spentCPU := c.body.timed.spent, c.body.timed.cpu
	if c.heap != nil {
		c.heap.mark()
	}
	if err == nil {
		err = c.body.drained()
	}
	if err != nil {
		what := "warm-up pass"
		if n > 0 {
			what = fmt.Sprintf("pass %d", n)
		}
		return Values{}, fmt.Errorf("%s: %s: %w", c.spec.Kind, what, err)
	}
	if n > 0 {
		c.wall += wall
		c.source += spent
		c.cpu += cpu
		c.sourceCPU += spentCPU
	}
	return c.rec.values(), nil
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
