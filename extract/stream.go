package extract

import "errors"

// PLACEHOLDER: replaced by the stream-mode implementation.
func newStreamScanner(opts Options, sels []Selector) (scanner, error) {
	return nil, errors.New("extract: stream mode not built yet")
}
