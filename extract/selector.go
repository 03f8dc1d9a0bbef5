package extract

import "errors"

// Step is one step of a selector: an object key, or the wildcard [*] that
// selects every element of an array.
type Step struct {
	Key      string // the unescaped key; meaningful when !Wildcard
	Wildcard bool   // [*]
}

// A Selector is a parsed path such as data.updates[*].timestamp.
type Selector struct {
	text  string
	steps []Step
}

// Steps returns the selector's steps; the caller must not modify them.
func (s Selector) Steps() []Step { return s.steps }

// String returns the selector as it was written.
func (s Selector) String() string { return s.text }

// ParseSelector parses a path. PLACEHOLDER until the stream-scanner work lands.
func ParseSelector(path string) (Selector, error) {
	return Selector{}, errors.New("extract: selectors not built yet")
}
