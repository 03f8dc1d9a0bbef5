package extract

import "errors"

// PLACEHOLDER: replaced by the regex-mode implementation.
func newRegexScanner(opts Options, sels []Selector) (scanner, error) {
	return nil, errors.New("extract: regex mode not built yet")
}
