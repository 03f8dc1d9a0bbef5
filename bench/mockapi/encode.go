package mockapi

import (
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// encoding picks the Content-Encoding for an Accept-Encoding header:
// zstd, then gzip, else identity (""). A q=0 entry refuses a coding.
func encoding(accept string) string {
	var gz, zs bool
	for item := range strings.SplitSeq(accept, ",") {
		name, params, _ := strings.Cut(item, ";")
		name = strings.ToLower(strings.TrimSpace(name))
		if q, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			if v, err := strconv.ParseFloat(q, 64); err == nil && v == 0 {
				continue
			}
		}
		switch name {
		case "zstd":
			zs = true
		case "gzip", "x-gzip":
			gz = true
		}
	}
	switch {
	case zs:
		return "zstd"
	case gz:
		return "gzip"
	}
	return ""
}

// compressor is a streaming encoder that can be flushed mid-body.
type compressor interface {
	io.Writer
	Flush() error
	Close() error
}

// encoders pools the compressors (a zstd encoder holds MiBs of tables).
// The zero value is ready; safe for concurrent use.
type encoders struct {
	gz, zs sync.Pool
}

// get returns a compressor for enc writing to w, and a release function
// to call after Close.
func (e *encoders) get(enc string, w io.Writer) (compressor, func()) {
	switch enc {
	case "gzip":
		z, _ := e.gz.Get().(*gzip.Writer)
		if z == nil {
			z, _ = gzip.NewWriterLevel(w, gzip.BestSpeed)
		} else {
			z.Reset(w)
		}
		return z, func() { z.Reset(io.Discard); e.gz.Put(z) }
	case "zstd":
		z, _ := e.zs.Get().(*zstd.Encoder)
		if z == nil {
			// One goroutine and a 1 MiB window: modest for both ends.
			z, _ = zstd.NewWriter(w, zstd.WithEncoderLevel(zstd.SpeedFastest),
				zstd.WithEncoderConcurrency(1), zstd.WithWindowSize(1<<20))
		} else {
			z.Reset(w)
		}
		return z, func() { z.Reset(nil); e.zs.Put(z) }
	}
	return nil, func() {}
}

// wire wraps the ResponseWriter: it counts body bytes and paces them to a
// bandwidth cap. Unwrap lets http.ResponseController reach Flush and
// Hijack through it.
type wire struct {
	http.ResponseWriter
	n     int64
	bps   float64         // 0: no cap
	start time.Time       // first paced write
	stop  <-chan struct{} // closed when the request or the server ends
}

func (w *wire) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// paceChunk bounds how far ahead of the cap a write may run.
const paceChunk = 16 << 10

func (w *wire) Write(p []byte) (int, error) {
	if w.bps <= 0 {
		n, err := w.ResponseWriter.Write(p)
		w.n += int64(n)
		return n, err
	}
	if w.start.IsZero() {
		w.start = time.Now()
	}
	written := 0
	for len(p) > 0 {
		c := p[:min(len(p), paceChunk)]
		n, err := w.ResponseWriter.Write(c)
		w.n += int64(n)
		written += n
		if err != nil {
			return written, err
		}
		p = p[n:]
		due := w.start.Add(time.Duration(float64(w.n) / w.bps * float64(time.Second)))
		if wait := time.Until(due); wait > 0 {
			if !sleep(wait, w.stop) {
				return written, errStopped
			}
		}
	}
	return written, nil
}

// sleep waits d or until stop is closed; it reports whether d elapsed.
func sleep(d time.Duration, stop <-chan struct{}) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-stop:
		return false
	}
}
