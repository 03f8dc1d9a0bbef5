package store

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// ReadDeadLetters returns the committed dead letters of the run folder
// dir, sorted by batch and node, without taking its lock (as ReadRecords).
// The dead-letter file is checked against the manifest; if a run was
// killed after committing new dead letters but before renaming them into
// place, the staged file it committed is read instead. A folder whose
// manifest records no dead letters may lack the file.
func ReadDeadLetters(dir string) ([]DeadLetter, error) {
	m, err := readManifest(dir)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	path := filepath.Join(dir, deadName)
	var sums []string
	for _, p := range []string{path, path + nextSuffix} {
		data, err := os.ReadFile(p)
		switch {
		case errors.Is(err, fs.ErrNotExist) && p != path:
			continue
		case errors.Is(err, fs.ErrNotExist):
			data = nil // no file: no dead letters
		case err != nil:
			return nil, fmt.Errorf("store: read dead letters: %w", err)
		}
		sum := sha256Hex(data)
		if sum != m.DeadLetters.SHA256 {
			sums = append(sums, sum)
			continue
		}
		dead, err := decodeDead(bytes.NewReader(data), p)
		if err != nil {
			return nil, fmt.Errorf("store: %w", err)
		}
		return sortedDead(dead), nil
	}
	return nil, fmt.Errorf("store: %s: sha256 %s does not match %s (%s)", path, sums[0], manifestName, m.DeadLetters.SHA256)
}
