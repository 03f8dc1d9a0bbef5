package store

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// maxLine bounds one line of a batch or dead-letter file, so that a
// corrupt file cannot make a reader buffer it whole. It is above the
// largest record the runner can write: extract.MaxBuckets (200,000)
// buckets of at most 43 bytes each is 8.6 MB (batch's
// TestBiggestRecordExports writes and exports it). A record with hourly
// buckets for a year is about 300 KB.
const maxLine = 16 << 20

// lineReader splits NDJSON into lines and counts them.
type lineReader struct {
	r    *bufio.Reader
	max  int    // longest line accepted
	line int    // 1-based number of the line last returned
	buf  []byte // holds a line longer than r's buffer
}

func newLineReader(r io.Reader) *lineReader {
	return &lineReader{r: bufio.NewReaderSize(r, 64<<10), max: maxLine}
}

// next returns the next line without its newline; it stays valid until
// the following call. At the end it returns io.EOF; a last line without
// a newline is returned like any other. An empty line is an error.
func (l *lineReader) next() ([]byte, error) {
	l.buf = l.buf[:0]
	for {
		chunk, err := l.r.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			if len(l.buf)+len(chunk) > l.max {
				return nil, fmt.Errorf("line %d: longer than %d bytes", l.line+1, l.max)
			}
			l.buf = append(l.buf, chunk...)
			continue
		}
		if err != nil && err != io.EOF {
			return nil, fmt.Errorf("line %d: %w", l.line+1, err)
		}
		line := chunk
		if len(l.buf) > 0 {
			l.buf = append(l.buf, chunk...)
			line = l.buf
		}
		if err == io.EOF && len(line) == 0 {
			return nil, io.EOF
		}
		l.line++
		if len(line) > l.max {
			return nil, fmt.Errorf("line %d: longer than %d bytes", l.line, l.max)
		}
		line = bytes.TrimSuffix(line, []byte{'\n'})
		if len(bytes.TrimSpace(line)) == 0 {
			return nil, fmt.Errorf("line %d: empty line", l.line)
		}
		return line, nil
	}
}

// decode reads the next line into v and validates it. At the end it
// returns io.EOF; other errors name the file (name) and the line.
func (l *lineReader) decode(name string, v interface{ validate() error }) error {
	line, err := l.next()
	if err == io.EOF {
		return io.EOF
	}
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if err := unmarshalLine(line, v); err != nil {
		return fmt.Errorf("%s: line %d: %w", name, l.line, err)
	}
	if err := v.validate(); err != nil {
		return fmt.Errorf("%s: line %d: %w", name, l.line, err)
	}
	return nil
}

// unmarshalLine decodes one JSON object into v, refusing unknown fields
// and anything after the object.
func unmarshalLine(line []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("data after the JSON object")
	}
	return nil
}
