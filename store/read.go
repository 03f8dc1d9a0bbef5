package store

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/klauspost/compress/zstd"
)

// ReadRecords calls fn for every record of the run folder dir, batch by
// batch in the order of their numbers, and within a batch by node. It
// reads only the batches the manifest lists and checks every file's
// sha256 against the manifest before the first record reaches fn, so a
// damaged folder gives an error and no records. It also checks that no
// node is in two batches. Errors name the file (and the line); an error
// from fn stops the iteration and is returned as is.
//
// ReadRecords takes no lock: a folder that a run is writing can be read;
// a batch that is redone meanwhile shows up as a checksum mismatch.
func ReadRecords(dir string, fn func(Record) error) error {
	m, err := readManifest(dir)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	paths := make([]string, len(m.Batches))
	for i, e := range m.Batches {
		if paths[i], err = committedFile(dir, e.File, e.SHA256); err != nil {
			return err
		}
	}
	zr, err := newDecoder()
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	defer zr.Close()
	seen := make(map[string]int) // node → batch
	for i, e := range m.Batches {
		path := paths[i]
		err := readBatchFile(zr, path, e.SHA256, func(rec Record) error {
			if b, dup := seen[rec.Node]; dup {
				return fmt.Errorf("store: %s: node %s is also in %s", path, rec.Node, batchName(b))
			}
			seen[rec.Node] = e.Batch
			return fn(rec)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// committedFile returns the path of the file that holds name as the
// manifest committed it (sha256 want): dir/name, or dir/name.next if a run
// was killed after committing a redone batch but before renaming it into
// place. Open would install it; a reader must not wait for that.
func committedFile(dir, name, want string) (string, error) {
	path := filepath.Join(dir, name)
	sum, err := fileSHA256(path)
	if err == nil && sum == want {
		return path, nil
	}
	if next, nerr := fileSHA256(path + nextSuffix); nerr == nil && next == want {
		return path + nextSuffix, nil
	}
	if err != nil {
		return "", fmt.Errorf("store: read batch: %w", err)
	}
	return "", fmt.Errorf("store: %s: sha256 %s does not match %s (%s)", path, sum, manifestName, want)
}

// readBatchFile decodes the batch file at path, checking that its sha256
// is still want once it is read.
func readBatchFile(zr *zstd.Decoder, path, want string, fn func(Record) error) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("store: read batch: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	fromFn := false // fn's errors are returned as is
	err = decodeBatch(zr, io.TeeReader(f, h), path, func(rec Record) error {
		err := fn(rec)
		fromFn = err != nil
		return err
	})
	if err != nil && !fromFn {
		return fmt.Errorf("store: %w", err)
	}
	if err != nil {
		return err
	}
	if _, err := io.Copy(h, f); err != nil { // bytes after the last frame the decoder needed
		return fmt.Errorf("store: read batch: %w", err)
	}
	if sum := hex.EncodeToString(h.Sum(nil)); sum != want {
		return fmt.Errorf("store: %s: changed while being read (sha256 %s, %s has %s)", path, sum, manifestName, want)
	}
	return nil
}
