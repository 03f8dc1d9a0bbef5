package store

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
)

// readRecordsReference is the reader as it was before the hand-written
// line decoder: every file hashed, then decoded with encoding/json. The
// fuzz test checks the decoder against it and the benchmark quotes it as
// the peer.
func readRecordsReference(dir string, fn func(Record) error) error {
	m, err := readManifest(dir)
	if err != nil {
		return err
	}
	paths := make([]string, len(m.Batches))
	for i, e := range m.Batches {
		if paths[i], err = committedFile(dir, e.File, e.SHA256); err != nil {
			return err
		}
	}
	zr, err := newDecoder()
	if err != nil {
		return err
	}
	defer zr.Close()
	for _, path := range paths {
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if err := zr.Reset(bytes.NewReader(data)); err != nil {
			return err
		}
		lr := newLineReader(zr)
		for {
			line, err := lr.next()
			if err == io.EOF {
				break
			}
			if err != nil {
				return err
			}
			var rec Record
			if err := referenceUnmarshal(line, &rec); err != nil {
				return fmt.Errorf("%s: line %d: %w", path, lr.line, err)
			}
			if err := fn(rec); err != nil {
				return err
			}
		}
	}
	return nil
}

// referenceUnmarshal is encoding/json with unknown fields refused.
func referenceUnmarshal(line []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return fmt.Errorf("data after the JSON object")
	}
	return nil
}

// committedFile is readCommittedFile without the content.
func committedFile(dir, name, want string) (string, error) {
	path, _, err := readCommittedFile(dir, name, want)
	return path, err
}
