package scrape

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/klauspost/compress/zstd"
)

// CaptureExt is the extension of capture files.
const CaptureExt = ".json.zst"

// maxCaptureName bounds the readable part of a capture name, so that the
// name with its hash, extension and temporary suffix stays far below the
// 255-byte limit of common file systems.
const maxCaptureName = 120

// CaptureName returns a file name (without extension) for node that is
// safe on any common file system: it cannot hold a path separator, NUL or
// control character, start with a dot, or be too long. A node made only of
// [A-Za-z0-9._,+=@-] (not starting with a dot, at most 120 bytes) is its
// own name: "AS3333" → "AS3333". Any other node is sanitised (each unsafe
// byte becomes "_", the length is cut) and gets "~" and 16 hex digits of
// its SHA-256: "193.0.0.0/21" → "193.0.0.0_21~" + hash. Since "~" never
// appears in an unchanged name, two different nodes never share a name.
// Letter case is kept, so on a case-insensitive file system nodes that
// differ only in case share a file.
func CaptureName(node string) string {
	changed := node == "" || node[0] == '.' || len(node) > maxCaptureName
	b := []byte(node)
	for i, c := range b {
		if !safeNameByte(c) {
			b[i] = '_'
			changed = true
		}
	}
	if !changed {
		return node
	}
	if len(b) > maxCaptureName {
		b = b[:maxCaptureName]
	}
	if len(b) > 0 && b[0] == '.' {
		b[0] = '_'
	}
	sum := sha256.Sum256([]byte(node))
	return string(b) + "~" + hex.EncodeToString(sum[:8])
}

func safeNameByte(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("._,+=@-", c) >= 0
}

// capturePath is where node's capture lives in dir.
func capturePath(dir, node string) string {
	return filepath.Join(dir, CaptureName(node)+CaptureExt)
}

// encoders pools the zstd encoders of captures. The zero value is ready;
// it is safe for concurrent use.
type encoders struct{ pool sync.Pool }

func (e *encoders) get() (*zstd.Encoder, error) {
	if enc, ok := e.pool.Get().(*zstd.Encoder); ok {
		return enc, nil
	}
	// One goroutine (none in the background), a 1 MiB window and the
	// fastest level: a capture must not slow the fetch down.
	return zstd.NewWriter(nil,
		zstd.WithEncoderConcurrency(1),
		zstd.WithEncoderLevel(zstd.SpeedFastest),
		zstd.WithWindowSize(1<<20),
		zstd.WithLowerEncoderMem(true))
}

// capture writes one attempt's body to a temporary file in the capture
// folder; commit renames it into place, abort removes it, so that the
// folder never holds a half-written capture under its final name.
type capture struct {
	f     *os.File
	enc   *zstd.Encoder
	pool  *encoders
	final string
}

func openCapture(dir, node string, pool *encoders) (*capture, error) {
	final := capturePath(dir, node)
	f, err := os.CreateTemp(dir, "."+CaptureName(node)+".*.tmp")
	if err != nil {
		return nil, fmt.Errorf("capture: %w", err)
	}
	enc, err := pool.get()
	if err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, fmt.Errorf("capture: zstd: %w", err)
	}
	enc.Reset(f)
	return &capture{f: f, enc: enc, pool: pool, final: final}, nil
}

func (c *capture) Write(p []byte) (int, error) { return c.enc.Write(p) }

// commit finishes the zstd stream, syncs and renames the file into place.
func (c *capture) commit() error {
	err := c.enc.Close()
	c.release()
	if err == nil {
		err = c.f.Sync()
	}
	if cerr := c.f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(c.f.Name(), c.final)
	}
	if err != nil {
		os.Remove(c.f.Name())
		return fmt.Errorf("capture %s: %w", filepath.Base(c.final), err)
	}
	return nil
}

// abort drops the temporary file.
func (c *capture) abort() {
	c.release()
	c.f.Close()
	os.Remove(c.f.Name())
}

func (c *capture) release() {
	if c.enc != nil {
		c.enc.Reset(nil)
		c.pool.pool.Put(c.enc)
		c.enc = nil
	}
}
