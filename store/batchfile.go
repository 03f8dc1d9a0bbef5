package store

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"slices"

	"github.com/klauspost/compress/zstd"
)

// A batch file is NDJSON, one Record per line sorted by node, compressed
// as one zstd frame. The same records give the same bytes, so a batch
// that is redone gives a byte-identical file.

// newEncoder returns the zstd encoder for batch files. Its settings are
// part of the format's determinism: change them and reruns stop being
// byte-identical to older files (which stay readable).
func newEncoder() (*zstd.Encoder, error) {
	return zstd.NewWriter(nil,
		zstd.WithEncoderLevel(zstd.SpeedDefault),
		zstd.WithEncoderConcurrency(1),
		zstd.WithZeroFrames(true))
}

// encodeBatch returns the content of a batch file holding recs.
// It does not modify recs.
func encodeBatch(enc *zstd.Encoder, recs []Record) ([]byte, error) {
	sorted := slices.Clone(recs)
	slices.SortFunc(sorted, func(a, b Record) int { return cmp.Compare(a.Node, b.Node) })
	var buf bytes.Buffer
	for i := range sorted {
		line, err := json.Marshal(&sorted[i])
		if err != nil {
			return nil, fmt.Errorf("node %s: %w", sorted[i].Node, err)
		}
		buf.Write(line)
		buf.WriteByte('\n')
	}
	return enc.EncodeAll(buf.Bytes(), nil), nil
}

// newDecoder returns a zstd decoder for batch files: synchronous (no
// goroutines), with a bounded window so that a hostile file cannot make
// it allocate more than that.
func newDecoder() (*zstd.Decoder, error) {
	return zstd.NewReader(nil,
		zstd.WithDecoderConcurrency(1),
		zstd.WithDecoderLowmem(true),
		zstd.WithDecoderMaxWindow(64<<20))
}

// decodeBatch reads a batch file from r through zr (reset to r; reused
// across files to save its buffers) and calls fn for each record in file
// order. Errors name the file and the line; an error from fn is returned
// as is.
func decodeBatch(zr *zstd.Decoder, r io.Reader, name string, fn func(Record) error) error {
	if err := zr.Reset(r); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	defer zr.Reset(nil) // drop r
	lr := newLineReader(zr)
	seen := make(map[string]bool)
	for {
		var rec Record
		err := lr.decode(name, &rec)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if seen[rec.Node] {
			return fmt.Errorf("%s: line %d: node %s appears twice", name, lr.line, rec.Node)
		}
		seen[rec.Node] = true
		if err := fn(rec); err != nil {
			return err
		}
	}
}

// decodeBatchBytes decodes a whole batch file held in memory.
func decodeBatchBytes(data []byte, name string) ([]Record, error) {
	zr, err := newDecoder()
	if err != nil {
		return nil, err
	}
	defer zr.Close()
	var recs []Record
	err = decodeBatch(zr, bytes.NewReader(data), name, func(r Record) error {
		recs = append(recs, r)
		return nil
	})
	return recs, err
}
