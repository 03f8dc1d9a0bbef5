package extract

import (
	"errors"
	"fmt"
	"regexp"
	"regexp/syntax"
	"strings"
	"unicode/utf8"
)

// A regexPattern is one compiled pattern of Regex mode with what the
// chunked scan needs to know about it.
type regexPattern struct {
	src string // the pattern as given or derived

	// exact matches the pattern against its whole input (\A…\z); the scan
	// runs it on the span of a match to find the capture.
	exact      *regexp.Regexp
	unanchored *regexp.Regexp // the pattern as given
	// reach tells how far a match starting at a given place could extend:
	// where every way of matching has failed, or that it could go on past
	// the window's end.
	reach *reachDFA
	lit   []byte // literal text that starts every match; may be empty
	// derivedKey is, for a pattern built by derivedPattern, the length of
	// the quoted key it starts with (0 otherwise): the capture is everything
	// after the spaces, colon and spaces that follow it.
	derivedKey int
}

// compileRegexPattern checks that src suits a chunked scan and compiles
// what the scan needs.
func compileRegexPattern(src string) (*regexPattern, error) {
	re, err := regexp.Compile(src)
	if err != nil {
		return nil, err
	}
	if n := re.NumSubexp(); n != 1 {
		return nil, fmt.Errorf("want exactly one capture group, have %d", n)
	}
	tree, err := syntax.Parse(src, syntax.Perl)
	if err != nil {
		return nil, err
	}
	if op, ok := findEmptyWidth(tree); ok {
		// A chunk boundary hides the text around it, so ^, $, \A, \z, \b
		// and \B could not be honoured the same way at every chunk size.
		return nil, fmt.Errorf("%s cannot be used in a chunked scan", emptyWidthName(op))
	}
	if re.MatchString("") {
		return nil, errors.New("pattern matches the empty string")
	}
	reach, err := newReachDFA(tree)
	if err != nil {
		return nil, err
	}
	p := &regexPattern{src: src, unanchored: re, reach: reach}
	lit, _ := re.LiteralPrefix()
	p.lit = []byte(lit)
	if p.exact, err = regexp.Compile(`\A(?:` + src + `)\z`); err != nil {
		return nil, err
	}
	return p, nil
}

// findEmptyWidth reports the first empty-width assertion in re.
func findEmptyWidth(re *syntax.Regexp) (syntax.Op, bool) {
	switch re.Op {
	case syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText, syntax.OpEndText,
		syntax.OpWordBoundary, syntax.OpNoWordBoundary:
		return re.Op, true
	}
	for _, sub := range re.Sub {
		if op, ok := findEmptyWidth(sub); ok {
			return op, true
		}
	}
	return 0, false
}

func emptyWidthName(op syntax.Op) string {
	switch op {
	case syntax.OpBeginLine, syntax.OpBeginText:
		return "a start anchor (^ or \\A)"
	case syntax.OpEndLine, syntax.OpEndText:
		return "an end anchor ($ or \\z)"
	}
	return "a word boundary (\\b or \\B)"
}

// derivedPattern is the pattern Regex mode uses for a selector when no
// pattern is given: its last key, as JSON text, then a colon and the value
// as a JSON token (a string with its quotes, a number, true, false or
// null), captured so that emit gets the same raw text as the other modes.
func derivedPattern(sel Selector) (string, error) {
	steps := sel.Steps()
	if len(steps) == 0 || steps[len(steps)-1].Wildcard {
		return "", fmt.Errorf("selector %q does not end in a key; give a pattern", sel.String())
	}
	key := steps[len(steps)-1].Key
	return `"` + regexp.QuoteMeta(jsonKeyText(key)) + `"[ \t\r\n]*:[ \t\r\n]*` +
		`("(?:[^"\\]|\\.)*"|[-+0-9.eE]+|true|false|null)`, nil
}

// jsonKeyText is key as a JSON encoder writes it between quotes, escaping
// only what JSON requires.
func jsonKeyText(key string) string {
	var b strings.Builder
	for i := 0; i < len(key); {
		c := key[i]
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20:
			fmt.Fprintf(&b, `\u%04x`, c)
		default:
			_, n := utf8.DecodeRuneInString(key[i:])
			b.WriteString(key[i : i+n])
			i += n
			continue
		}
		i++
	}
	return b.String()
}
