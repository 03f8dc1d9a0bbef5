package measure

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/sluicehq/sluice/bench/cputime"
	"github.com/sluicehq/sluice/bench/synth"
)

// body produces the measured reader of one pass: the generated body,
// optionally compressed on the fly and decompressed by the reader under
// measurement. The generator and the compressor run inside timed.Read, so
// their time is counted apart from the extraction's.
type body struct {
	opts  synth.Options
	gzip  bool
	timed timedReader    // the source: generator (+ compressor)
	count countingReader // what the extraction reads: the JSON body
	comp  *compressor    // nil without gzip
	unzip *gzip.Reader   // nil until the first gzip pass; reused
}

func newBody(spec Spec) *body {
	b := &body{
		opts: synth.Options{Resource: spec.Resource, Seed: spec.Seed, Updates: spec.Updates},
		gzip: spec.Gzip,
	}
	if b.gzip {
		b.comp = newCompressor()
	}
	return b
}

// open starts a pass and returns the reader to extract from. The counters
// restart at zero.
func (b *body) open() (io.Reader, error) {
	var src io.Reader = synth.NewReader(b.opts)
	if b.gzip {
		b.comp.reset(src)
		src = b.comp
	}
	b.timed = timedReader{r: src}
	if !b.gzip {
		b.count = countingReader{r: &b.timed}
		return &b.count, nil
	}
	var err error
	if b.unzip == nil {
		b.unzip, err = gzip.NewReader(&b.timed)
	} else {
		err = b.unzip.Reset(&b.timed)
	}
	if err != nil {
		return nil, fmt.Errorf("gzip header: %w", err)
	}
	b.count = countingReader{r: b.unzip}
	return &b.count, nil
}

// drained reports an error unless the pass read the whole source: an
// extractor that stops early would look fast for the wrong reason.
func (b *body) drained() error {
	var one [1]byte
	n, err := b.timed.Read(one[:])
	if n > 0 || err != io.EOF {
		return fmt.Errorf("the extraction stopped before the end of the body (%d bytes read)", b.count.n)
	}
	return nil
}

// timedReader adds up the time spent in r.Read, wall and CPU (of the
// calling thread: r runs on it), and the bytes it returned.
type timedReader struct {
	r     io.Reader
	spent time.Duration
	cpu   time.Duration
	n     int64
}

func (t *timedReader) Read(p []byte) (int, error) {
	t0, c0 := time.Now(), cputime.Thread()
	n, err := t.r.Read(p)
	t.cpu += cputime.Thread() - c0
	t.spent += time.Since(t0)
	t.n += int64(n)
	return n, err
}

// countingReader counts the bytes read through it. Wrapping also hides the
// generator's WriteTo, so every kind pulls the body through Read with its
// own buffer, as it would from a network connection.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// compressor gzips a reader on demand, without a goroutine: Read pulls
// from src until the gzip writer has produced output. Its memory is one
// input chunk plus the writer's window, whatever the body size.
type compressor struct {
	src   io.Reader
	zw    *gzip.Writer
	out   bytes.Buffer
	chunk []byte
	eof   bool
}

func newCompressor() *compressor {
	c := &compressor{chunk: make([]byte, 64<<10)}
	// BestSpeed keeps the generator's share of the run small; the
	// decoder's speed hardly depends on the level.
	c.zw, _ = gzip.NewWriterLevel(&c.out, gzip.BestSpeed) // the level is valid
	return c
}

func (c *compressor) reset(src io.Reader) {
	c.src, c.eof = src, false
	c.out.Reset()
	c.zw.Reset(&c.out)
}

func (c *compressor) Read(p []byte) (int, error) {
	for c.out.Len() == 0 && !c.eof {
		n, err := c.src.Read(c.chunk)
		if n > 0 {
			if _, werr := c.zw.Write(c.chunk[:n]); werr != nil {
				return 0, fmt.Errorf("gzip: %w", werr)
			}
		}
		switch {
		case errors.Is(err, io.EOF):
			if cerr := c.zw.Close(); cerr != nil {
				return 0, fmt.Errorf("gzip: %w", cerr)
			}
			c.eof = true
		case err != nil:
			return 0, err
		}
	}
	if c.out.Len() == 0 {
		return 0, io.EOF
	}
	return c.out.Read(p)
}
