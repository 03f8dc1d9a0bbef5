package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// ReadDeadLetters returns the dead letters of the run folder dir, sorted by
// node, without taking its lock (as ReadRecords). A folder without a
// dead-letter file has none.
func ReadDeadLetters(dir string) ([]DeadLetter, error) {
	path := filepath.Join(dir, deadName)
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	defer f.Close()
	m, err := decodeDead(f, path)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	return sortedDead(m), nil
}
