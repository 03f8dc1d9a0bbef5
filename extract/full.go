package extract

import "errors"

// PLACEHOLDER: replaced by the full-mode implementation.
func newFullScanner(opts Options, sels []Selector) (scanner, error) {
	return nil, errors.New("extract: full mode not built yet")
}
