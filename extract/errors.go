package extract

import (
	"errors"
	"strconv"
)

// ErrValueTooLarge is wrapped by the error Run returns when a selected value
// is longer than Options.MaxValueSize. The value is never buffered past the
// cap, so callers can branch on it (errors.Is) and retry with a larger cap.
var ErrValueTooLarge = errors.New("selected value exceeds MaxValueSize")

// ErrBodyTooLarge is wrapped by the error Full mode returns for a body
// longer than Options.MaxBodySize. The scrape package's ErrBodyTooLarge
// is this same value, so errors.Is holds whichever package stopped the body.
var ErrBodyTooLarge = errors.New("body larger than MaxBodySize")

// A MissingPathError reports that a selector's container was not in the
// document (see Extractor.Reached): a missing data.updates, rather than an
// empty one, so that a renamed field is not counted as zero values.
type MissingPathError struct {
	Selector string // the selector as given, e.g. data.updates[*].timestamp
	Path     string // its container, e.g. data.updates; "" for the top-level value
	array    bool   // the container must be an array (else an object)
}

func (e *MissingPathError) Error() string {
	if e.Path == "" {
		kind := "an object"
		if e.array {
			kind = "an array"
		}
		return "top-level value is not " + kind + " (selector " + e.Selector + ")"
	}
	return "path " + e.Path + " not found"
}

// A SyntaxError reports malformed JSON: the byte offset in the input where
// the problem was found and what it is. For input that ends too early, Err
// is io.ErrUnexpectedEOF, so errors.Is(err, io.ErrUnexpectedEOF) holds.
type SyntaxError struct {
	Offset int64  // byte offset in the input (0-based) of the offending byte or of the end of input
	Msg    string // what is wrong, e.g. "invalid character 'x' after object key"
	Err    error  // the cause, if any (io.ErrUnexpectedEOF for truncated input); may be nil
}

func (e *SyntaxError) Error() string {
	return "extract: " + e.Msg + " at offset " + strconv.FormatInt(e.Offset, 10)
}

// Unwrap returns the cause, so that errors.Is sees io.ErrUnexpectedEOF.
func (e *SyntaxError) Unwrap() error { return e.Err }

// A SelectorError reports a malformed selector and the byte position in it
// where parsing failed.
type SelectorError struct {
	Selector string // the selector as given
	Pos      int    // 0-based byte position in Selector
	Msg      string // what is wrong
}

func (e *SelectorError) Error() string {
	return "extract: selector " + strconv.Quote(e.Selector) + ": " + e.Msg + " at byte " + strconv.Itoa(e.Pos)
}

// quoteChar describes a byte for an error message: 'x' for a printable
// ASCII byte, otherwise its hex value.
func quoteChar(c byte) string {
	if c == '\'' {
		return `'\''`
	}
	if c == '"' {
		return `'"'`
	}
	if c >= 0x20 && c < 0x7f {
		return "'" + string(rune(c)) + "'"
	}
	const hex = "0123456789abcdef"
	return "byte 0x" + string([]byte{hex[c>>4], hex[c&15]})
}
