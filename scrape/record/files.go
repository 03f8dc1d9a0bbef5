package record

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/klauspost/compress/zstd"
)

// writeFileAtomic writes data to path through a synced temporary file in
// the same folder and a rename, so that path holds either nothing, its
// old content or all of data.
func writeFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*"+tmpExt)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}

// writeJSONAtomic writes v, indented, with writeFileAtomic.
func writeJSONAtomic(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(path, append(b, '\n'))
}

// syncDir makes the renames in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// encoders pools zstd encoders. The zero value is ready; safe for
// concurrent use.
type encoders struct{ pool sync.Pool }

func (e *encoders) get(f *os.File) (*zstd.Encoder, error) {
	if enc, ok := e.pool.Get().(*zstd.Encoder); ok {
		enc.Reset(f)
		return enc, nil
	}
	// One goroutine, a 1 MiB window, the fastest level: recording must
	// not slow the fetch down, and bodies are often compressed already.
	return zstd.NewWriter(f,
		zstd.WithEncoderConcurrency(1),
		zstd.WithEncoderLevel(zstd.SpeedFastest),
		zstd.WithWindowSize(1<<20),
		zstd.WithLowerEncoderMem(true))
}

func (e *encoders) put(enc *zstd.Encoder) {
	enc.Reset(nil)
	e.pool.Put(enc)
}

// bodyFile streams one body to a temporary file; commit renames it to its
// final name. Not safe for concurrent use.
type bodyFile struct {
	f     *os.File
	enc   *zstd.Encoder
	pool  *encoders
	final string
	err   error // first write error; sticky
}

func createBody(final string, pool *encoders) (*bodyFile, error) {
	f, err := os.CreateTemp(filepath.Dir(final), "."+filepath.Base(final)+".*"+tmpExt)
	if err != nil {
		return nil, err
	}
	enc, err := pool.get(f)
	if err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, fmt.Errorf("zstd: %w", err)
	}
	return &bodyFile{f: f, enc: enc, pool: pool, final: final}, nil
}

func (b *bodyFile) write(p []byte) {
	if b.err == nil {
		_, b.err = b.enc.Write(p)
	}
}

// commit ends the zstd stream, syncs, renames and returns the file's size.
func (b *bodyFile) commit() (int64, error) {
	err := b.err
	if cerr := b.enc.Close(); err == nil {
		err = cerr
	}
	b.pool.put(b.enc)
	var size int64
	if err == nil {
		err = b.f.Sync()
	}
	if err == nil {
		var st os.FileInfo
		if st, err = b.f.Stat(); err == nil {
			size = st.Size()
		}
	}
	if cerr := b.f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(b.f.Name(), b.final)
	}
	if err != nil {
		os.Remove(b.f.Name())
		return 0, fmt.Errorf("body %s: %w", b.final, err)
	}
	return size, nil
}
