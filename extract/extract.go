package extract

import (
	"fmt"
	"io"
)

// Mode names an extraction strategy.
type Mode string

// The extraction modes. The zero Mode means Stream.
const (
	Stream Mode = "stream"
	Regex  Mode = "regex"
	Full   Mode = "full"
)

// Defaults used where Options leaves a field zero.
const (
	DefaultPath         = "data.updates[*].timestamp"
	DefaultBufferSize   = 64 << 10
	DefaultMaxValueSize = 1 << 20
)

// ParseMode parses a mode name as given on the command line.
func ParseMode(s string) (Mode, error) {
	switch m := Mode(s); m {
	case Stream, Regex, Full:
		return m, nil
	case "":
		return Stream, nil
	}
	return "", fmt.Errorf("extract: unknown mode %q (want stream, regex or full)", s)
}

// Options configures an Extractor. The zero value extracts DefaultPath in
// stream mode with the default buffer and value cap.
type Options struct {
	// Mode selects the strategy; zero means Stream.
	Mode Mode
	// Paths are the selectors, in the order of the sel index passed to
	// EmitFunc. Empty means []string{DefaultPath}.
	Paths []string
	// Patterns are regular expressions with exactly one capture group, used
	// by Regex mode instead of Paths (pattern i reports sel i). Empty means
	// patterns derived from the last key of each path.
	Patterns []string
	// BufferSize is the read buffer of Stream mode and the chunk size of
	// Regex mode; zero means DefaultBufferSize.
	BufferSize int
	// MaxValueSize caps the length of one selected value; a longer one is
	// an error, not an allocation. Zero means DefaultMaxValueSize.
	MaxValueSize int
	// MaxBodySize caps the body that Full mode reads into memory; zero
	// means no cap. Other modes do not hold the body and ignore it.
	MaxBodySize int64
	// Strict validates the whole document per RFC 8259 (numbers, escapes,
	// UTF-8, control characters), not only its structure.
	Strict bool
}

// EmitFunc receives one selected value. sel is the index of the selector
// (or pattern) that matched. raw is the value's JSON text: a string with its
// quotes and escapes as they appear in the input, a number, true, false or
// null, or the text of a selected object or array. raw is valid only
// during the call. An error returned by EmitFunc stops the extraction and
// is returned by Run unchanged.
type EmitFunc func(sel int, raw []byte) error

// scanner is what each mode implements.
type scanner interface {
	// scan reads r to its end, calls emit for each selected value in
	// document order, and returns the number of bytes read from r. It
	// sets reached[i] when the container of selector i is seen (see
	// Extractor.Reached); reached is all false on entry.
	scan(r io.Reader, emit EmitFunc, reached []bool) (int64, error)
}

// An Extractor extracts selected values from JSON documents. It reuses its
// buffers from one Run to the next, so one Extractor per goroutine is the
// intended use; it is not safe for concurrent use.
type Extractor struct {
	mode    Mode
	sels    []Selector
	sc      scanner
	reached []bool // per selector, for the last Run: see Reached
}

// New checks opts and returns an Extractor for them.
func New(opts Options) (*Extractor, error) {
	mode, err := ParseMode(string(opts.Mode))
	if err != nil {
		return nil, err
	}
	opts.Mode = mode
	if err := opts.check(); err != nil {
		return nil, err
	}
	opts = opts.withDefaults()
	sels := make([]Selector, len(opts.Paths))
	for i, p := range opts.Paths {
		if sels[i], err = ParseSelector(p); err != nil {
			return nil, err
		}
	}
	e := &Extractor{mode: mode, sels: sels, reached: make([]bool, len(sels))}
	switch mode {
	case Stream:
		e.sc, err = newStreamScanner(opts, sels)
	case Regex:
		e.sc, err = newRegexScanner(opts, sels)
	case Full:
		e.sc, err = newFullScanner(opts, sels)
	}
	if err != nil {
		return nil, err
	}
	return e, nil
}

// Mode reports the extractor's mode.
func (e *Extractor) Mode() Mode { return e.mode }

// Selectors reports the parsed selectors, in the order of sel.
func (e *Extractor) Selectors() []Selector { return e.sels }

// Run reads r to its end and calls emit for each selected value, in
// document order. It returns the number of bytes read from r and the first
// error: a *SyntaxError (with its byte offset) for malformed input, or the
// error of r or emit.
func (e *Extractor) Run(r io.Reader, emit EmitFunc) (int64, error) {
	clear(e.reached)
	return e.sc.scan(r, emit, e.reached)
}

// Reached reports whether the last Run saw the container of selector sel:
// the value that holds what the selector selects, with its trailing
// wildcards dropped. For data.updates[*].timestamp that is data.updates,
// which must be an array (an empty one is reached); for status it is the
// top-level value, which must be an object. A selector whose container was
// reached can still select nothing, and that is a true zero; one whose
// container was not reached found nothing to look in, which usually means
// the document does not have the shape the selector expects.
//
// Stream and Full mode follow paths and report exactly that. Regex mode
// matches text: for a pattern derived from a selector it reports the
// container reached when the container's key, as JSON text, is followed
// by a colon and the right bracket ("updates": [) anywhere in the input;
// a container that is the top-level value, and any pattern given in
// Options.Patterns, are always reported reached. Valid after Run returns,
// also after an error (then it tells what was seen before it).
func (e *Extractor) Reached(sel int) bool { return e.reached[sel] }

// CheckReached returns a *MissingPathError for the first selector whose
// container the last Run did not reach, or nil if every one was reached.
func (e *Extractor) CheckReached() error {
	for i, ok := range e.reached {
		if !ok {
			c := containerOf(e.sels[i].steps)
			return &MissingPathError{Selector: e.sels[i].String(), Path: c.path, array: c.array}
		}
	}
	return nil
}

// check rejects option values that no default replaces.
func (o Options) check() error {
	for _, f := range []struct {
		name string
		v    int64
	}{
		{"BufferSize", int64(o.BufferSize)},
		{"MaxValueSize", int64(o.MaxValueSize)},
		{"MaxBodySize", o.MaxBodySize},
	} {
		if f.v < 0 {
			return fmt.Errorf("extract: Options.%s is %d, want 0 (the default) or more", f.name, f.v)
		}
	}
	return nil
}

// withDefaults fills the zero fields that have a default. New calls it
// once; the mode scanners take what it returns as it is.
func (o Options) withDefaults() Options {
	if len(o.Paths) == 0 {
		o.Paths = []string{DefaultPath}
	}
	if o.BufferSize == 0 {
		o.BufferSize = DefaultBufferSize
	}
	if o.MaxValueSize == 0 {
		o.MaxValueSize = DefaultMaxValueSize
	}
	return o
}
