package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// ReadRecords calls fn for every record of the run folder dir, batch by
// batch in the order of their numbers, and within a batch by node. It
// reads only the batches the manifest lists, each file once: its bytes
// are checked against the manifest's sha256 before any of its records
// reaches fn, and are then decoded from memory. It also checks that no
// node is in two batches. Errors name the file (and the line); an error
// from fn stops the iteration and is returned as is.
//
// A damaged or missing file is an error, never a silent gap; records of
// the files before it have reached fn by then, so a caller that must not
// give a partial result (Export) fails as a whole.
//
// ReadRecords takes no lock: a folder that a run is writing can be read;
// a batch that is redone meanwhile shows up as a checksum mismatch.
func ReadRecords(dir string, fn func(Record) error) error {
	return readRecords(dir, readOptions{}, fn)
}

// readOptions let a caller that knows what it does with the records
// (Export) skip work that ReadRecords must do for any caller.
type readOptions struct {
	// reuseBuckets: every record's Buckets is one slice, overwritten by
	// the next record's; fn must not keep it.
	reuseBuckets bool
}

// readRecords is ReadRecords with options.
func readRecords(dir string, o readOptions, fn func(Record) error) error {
	m, err := readManifest(dir)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	zr, err := newDecoder()
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	defer zr.Close()
	hint := 0
	if m.Plan != nil {
		hint = min(m.Plan.Nodes, 1<<20) // sized once rather than grown
	}
	seen := newNodeSet(hint)
	dec := &recordDecoder{reuse: o.reuseBuckets}
	var scratch []byte // decompressed batch file, reused
	for _, e := range m.Batches {
		path, data, err := readCommittedFile(dir, e.File, e.SHA256)
		if err != nil {
			return err
		}
		var fnErr error // fn's errors are returned as is
		err = decodeBatch(zr, dec, data, path, e.Batch, seen, &scratch, func(rec Record) error {
			fnErr = fn(rec)
			return fnErr
		})
		if fnErr != nil {
			return fnErr
		}
		if err != nil {
			return fmt.Errorf("store: %w", err)
		}
	}
	return nil
}

// readCommittedFile returns the path and content of the file that holds
// name as the manifest committed it (sha256 want): dir/name, or
// dir/name.next if a run was killed after committing a redone batch but
// before renaming it into place. Open would install it; a reader must not
// wait for that.
func readCommittedFile(dir, name, want string) (string, []byte, error) {
	path := filepath.Join(dir, name)
	data, err := os.ReadFile(path)
	if err == nil && sha256Hex(data) == want {
		return path, data, nil
	}
	if next, nerr := os.ReadFile(path + nextSuffix); nerr == nil && sha256Hex(next) == want {
		return path + nextSuffix, next, nil
	}
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return "", nil, fmt.Errorf("store: %s: missing, but %s lists it: %w", path, manifestName, err)
		}
		return "", nil, fmt.Errorf("store: read batch: %w", err)
	}
	return "", nil, fmt.Errorf("store: %s: sha256 %s does not match %s (%s)", path, sha256Hex(data), manifestName, want)
}
