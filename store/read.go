package store

import (
	"fmt"
	"os"
	"path/filepath"
)

// ReadRecords calls fn for every record of the run folder dir, batch by
// batch in the order of their numbers, and within a batch by node. It
// reads only the batches the manifest lists, checks each file's sha256
// against the manifest before reading it, and checks that no node is in
// two batches. Errors name the file (and the line); an error from fn
// stops the iteration and is returned as is.
//
// ReadRecords takes no lock: a folder that a run is writing can be read;
// a batch that is redone meanwhile shows up as a checksum mismatch.
func ReadRecords(dir string, fn func(Record) error) error {
	m, err := readManifest(dir)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	seen := make(map[string]int) // node → batch
	for _, e := range m.Batches {
		path := filepath.Join(dir, e.File)
		err := readBatchFile(path, e.SHA256, func(rec Record) error {
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

// readBatchFile decodes the batch file at path after checking that its
// sha256 is want. The file is read twice (hash, then decode) so that no
// record of a damaged file reaches fn and memory stays flat.
func readBatchFile(path, want string, fn func(Record) error) error {
	sum, err := fileSHA256(path)
	if err != nil {
		return fmt.Errorf("store: read %s: %w", path, err)
	}
	if sum != want {
		return fmt.Errorf("store: %s: sha256 %s does not match %s (%s)", path, sum, manifestName, want)
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("store: read %s: %w", path, err)
	}
	defer f.Close()
	fromFn := false // fn's errors are returned as is
	err = decodeBatch(f, path, func(rec Record) error {
		err := fn(rec)
		fromFn = err != nil
		return err
	})
	if err != nil && !fromFn {
		return fmt.Errorf("store: %w", err)
	}
	return err
}
