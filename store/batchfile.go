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
// it allocate more than that. It skips the frame's xxhash: every reader
// checks the whole file against the manifest's sha256 before decoding.
func newDecoder() (*zstd.Decoder, error) {
	return zstd.NewReader(nil,
		zstd.WithDecoderConcurrency(1),
		zstd.WithDecoderLowmem(false),
		zstd.IgnoreChecksum(true),
		zstd.WithDecoderMaxWindow(64<<20))
}

// maxInMemory is the largest decompressed batch file decodeBatch holds
// in memory; a larger one (huge batches of huge records) is streamed.
const maxInMemory = 64 << 20

// decodeBatch decodes the batch file data through zr (reused across
// files to save its buffers) and calls fn for each record in file order.
// A file whose frame says it is at most maxInMemory is decompressed in
// one call into scratch (reused, may be nil) and split in place; others
// go through a stream. Errors name the file and the line; an error from
// fn is returned as is.
//
// seen holds the nodes read so far with their batch; batch is this
// file's. dec is reused across the files of a folder: the bucket keys it
// has learnt are the next file's too.
func decodeBatch(zr *zstd.Decoder, dec *recordDecoder, data []byte, name string, batch int, seen *nodeSet,
	scratch *[]byte, fn func(Record) error) error {
	line := 0
	one := func(text []byte) error {
		line++
		if len(text) > maxLine {
			return fmt.Errorf("%s: line %d: longer than %d bytes", name, line, maxLine)
		}
		if len(bytes.TrimSpace(text)) == 0 {
			return fmt.Errorf("%s: line %d: empty line", name, line)
		}
		var rec Record
		if err := dec.decode(text, &rec); err != nil {
			return fmt.Errorf("%s: line %d: %w", name, line, err)
		}
		if err := rec.validateFields(); err != nil { // the decoder checked the buckets
			return fmt.Errorf("%s: line %d: %w", name, line, err)
		}
		if b, dup := seen.add(rec.Node, batch); dup && b == batch {
			return fmt.Errorf("%s: line %d: node %s appears twice", name, line, rec.Node)
		} else if dup {
			return fmt.Errorf("%s: node %s is also in %s", name, rec.Node, batchName(b))
		}
		return fn(rec)
	}

	var h zstd.Header
	if h.Decode(data) == nil && h.HasFCS && h.FrameContentSize <= maxInMemory {
		var buf []byte
		if scratch != nil {
			buf = (*scratch)[:0]
		}
		out, err := zr.DecodeAll(data, buf)
		if scratch != nil {
			*scratch = out
		}
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		for len(out) > 0 {
			text := out
			i := bytes.IndexByte(out, '\n')
			if i >= 0 {
				text, out = out[:i], out[i+1:]
			} else {
				out = nil
			}
			if err := one(text); err != nil {
				return err
			}
		}
		return nil
	}

	if err := zr.Reset(bytes.NewReader(data)); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	defer zr.Reset(nil) // drop data
	lr := newLineReader(zr)
	for {
		text, err := lr.next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if err := one(text); err != nil {
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
	err = decodeBatch(zr, &recordDecoder{}, data, name, 0, newNodeSet(0), nil, func(r Record) error {
		recs = append(recs, r)
		return nil
	})
	return recs, err
}
