package scrape

import (
	"fmt"
	"io"
	"sync"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// maxZstdWindow bounds the memory a zstd stream can make a decoder
// allocate. 8 MiB is what the format asks every decoder to support and
// what every standard compression level produces; a body that needs more
// fails instead of taking memory.
const maxZstdWindow = 8 << 20

// decoders pools the gzip and zstd decoders of one Client or Replayer. The
// zero value is ready; it is safe for concurrent use.
type decoders struct {
	zstd sync.Pool // *zstd.Decoder
	gzip sync.Pool // *gzip.Reader
}

// newZstd returns a decoder that runs in the caller's goroutine (no
// background goroutines to leak) with a bounded window.
func newZstd() (*zstd.Decoder, error) {
	return zstd.NewReader(nil,
		zstd.WithDecoderConcurrency(1),
		zstd.WithDecoderLowmem(true),
		zstd.WithDecoderMaxWindow(maxZstdWindow),
		zstd.WithDecoderMaxMemory(maxZstdWindow))
}

// open layers the decoders encs (first to last) over r. release returns
// them to the pool; call it once the reader is no longer used.
func (d *decoders) open(r io.Reader, encs []string) (io.Reader, func(), error) {
	var undo []func()
	release := func() {
		for _, f := range undo {
			f()
		}
	}
	for _, e := range encs {
		switch e {
		case "zstd":
			z, _ := d.zstd.Get().(*zstd.Decoder)
			if z == nil {
				var err error
				if z, err = newZstd(); err != nil {
					release()
					return nil, nil, fmt.Errorf("zstd: %w", err)
				}
			}
			if err := z.Reset(r); err != nil {
				release()
				return nil, nil, fmt.Errorf("zstd: %w", err)
			}
			undo = append(undo, func() { _ = z.Reset(nil); d.zstd.Put(z) })
			r = z
		case "gzip":
			// gzip reads its header at once; a broken one is a bad body.
			g, _ := d.gzip.Get().(*gzip.Reader)
			var err error
			if g == nil {
				g, err = gzip.NewReader(r)
			} else {
				err = g.Reset(r)
			}
			if err != nil {
				release()
				return nil, nil, fmt.Errorf("gzip: %w", err)
			}
			undo = append(undo, func() { d.gzip.Put(g) })
			r = g
		}
	}
	return r, release, nil
}
