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

	// anchored matches the pattern at the start of its input only; the scan
	// runs it at each place where lit occurs.
	anchored *regexp.Regexp
	// unanchored finds the leftmost match; used when lit is empty.
	unanchored *regexp.Regexp
	// live matches, anchored at both ends, every prefix of every match:
	// text that more input could still turn into a match (or into a longer
	// or different one). A place whose rest of the window it matches must
	// wait for more input.
	live *regexp.Regexp
	// liveTail is live without the leading anchor, to find the leftmost
	// such place when lit is empty.
	liveTail *regexp.Regexp
	lit      []byte // literal text that starts every match; may be empty
}

// maxLiveSize bounds the size of the prefix-language expression built for
// a pattern, so that an absurd pattern is an error, not a slow compile.
const maxLiveSize = 64 << 10

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
	pre, err := prefixLanguage(tree.Simplify())
	if err != nil {
		return nil, err
	}
	preSrc := rxString(pre)
	if len(preSrc) > maxLiveSize {
		return nil, errors.New("pattern too complex for a chunked scan")
	}
	p := &regexPattern{src: src, unanchored: re}
	lit, _ := re.LiteralPrefix()
	p.lit = []byte(lit)
	if p.anchored, err = regexp.Compile(`\A(?:` + src + `)`); err != nil {
		return nil, err
	}
	if p.live, err = regexp.Compile(`\A(?:` + preSrc + `)\z`); err != nil {
		return nil, fmt.Errorf("prefix language: %w", err)
	}
	if p.liveTail, err = regexp.Compile(`(?:` + preSrc + `)\z`); err != nil {
		return nil, fmt.Errorf("prefix language: %w", err)
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

// prefixLanguage returns an expression matching exactly the prefixes
// (including the empty one and the whole) of the strings re matches. re
// must be simplified (no OpRepeat) and free of empty-width assertions.
func prefixLanguage(re *syntax.Regexp) (*syntax.Regexp, error) {
	switch re.Op {
	case syntax.OpNoMatch, syntax.OpEmptyMatch:
		return re, nil
	case syntax.OpLiteral:
		// a(b(c)?)? : every prefix of the literal, in linear size.
		var acc *syntax.Regexp
		for i := len(re.Rune) - 1; i >= 0; i-- {
			r := &syntax.Regexp{Op: syntax.OpLiteral, Rune: []rune{re.Rune[i]}, Flags: re.Flags}
			if acc == nil {
				acc = r
			} else {
				acc = rxConcat(r, rxQuest(acc))
			}
		}
		return rxQuest(acc), nil
	case syntax.OpCharClass, syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		return rxQuest(re), nil
	case syntax.OpCapture:
		return prefixLanguage(re.Sub[0])
	case syntax.OpQuest:
		return prefixLanguage(re.Sub[0])
	case syntax.OpStar, syntax.OpPlus:
		// x* followed by a prefix of one more x.
		sub, err := prefixLanguage(re.Sub[0])
		if err != nil {
			return nil, err
		}
		return rxConcat(&syntax.Regexp{Op: syntax.OpStar, Sub: []*syntax.Regexp{re.Sub[0]}}, sub), nil
	case syntax.OpConcat:
		// pre(a b c) = pre(a) | a pre(b c)
		var acc *syntax.Regexp
		for i := len(re.Sub) - 1; i >= 0; i-- {
			sub, err := prefixLanguage(re.Sub[i])
			if err != nil {
				return nil, err
			}
			if acc == nil {
				acc = sub
			} else {
				acc = &syntax.Regexp{Op: syntax.OpAlternate, Sub: []*syntax.Regexp{sub, rxConcat(re.Sub[i], acc)}}
			}
		}
		if acc == nil {
			return &syntax.Regexp{Op: syntax.OpEmptyMatch}, nil
		}
		return acc, nil
	case syntax.OpAlternate:
		alt := &syntax.Regexp{Op: syntax.OpAlternate}
		for _, s := range re.Sub {
			sub, err := prefixLanguage(s)
			if err != nil {
				return nil, err
			}
			alt.Sub = append(alt.Sub, sub)
		}
		return alt, nil
	}
	return nil, fmt.Errorf("unsupported construct %v in a chunked scan", re.Op)
}

// rxString prints re as a pattern. (*syntax.Regexp).String does too, but
// spends milliseconds folding the case of large negated classes.
func rxString(re *syntax.Regexp) string {
	var b strings.Builder
	rxWrite(&b, re)
	return b.String()
}

func rxWrite(b *strings.Builder, re *syntax.Regexp) {
	group := func(sub *syntax.Regexp) {
		b.WriteString("(?:")
		rxWrite(b, sub)
		b.WriteString(")")
	}
	switch re.Op {
	case syntax.OpNoMatch:
		b.WriteString(`[^\x00-\x{10FFFF}]`)
	case syntax.OpEmptyMatch:
		b.WriteString("(?:)")
	case syntax.OpLiteral:
		if re.Flags&syntax.FoldCase != 0 {
			b.WriteString("(?i:")
		}
		for _, r := range re.Rune {
			fmt.Fprintf(b, `\x{%x}`, r)
		}
		if re.Flags&syntax.FoldCase != 0 {
			b.WriteString(")")
		}
	case syntax.OpCharClass:
		if len(re.Rune) == 0 {
			b.WriteString(`[^\x00-\x{10FFFF}]`)
			return
		}
		b.WriteString("[")
		for i := 0; i+1 < len(re.Rune); i += 2 {
			fmt.Fprintf(b, `\x{%x}-\x{%x}`, re.Rune[i], re.Rune[i+1])
		}
		b.WriteString("]")
	case syntax.OpAnyCharNotNL:
		b.WriteString(`[^\n]`)
	case syntax.OpAnyChar:
		b.WriteString(`(?s:.)`)
	case syntax.OpCapture:
		group(re.Sub[0])
	case syntax.OpStar, syntax.OpPlus, syntax.OpQuest:
		group(re.Sub[0])
		switch re.Op {
		case syntax.OpStar:
			b.WriteString("*")
		case syntax.OpPlus:
			b.WriteString("+")
		default:
			b.WriteString("?")
		}
		if re.Flags&syntax.NonGreedy != 0 {
			b.WriteString("?")
		}
	case syntax.OpConcat:
		for _, sub := range re.Sub {
			group(sub)
		}
	case syntax.OpAlternate:
		b.WriteString("(?:")
		for i, sub := range re.Sub {
			if i > 0 {
				b.WriteString("|")
			}
			rxWrite(b, sub)
		}
		b.WriteString(")")
	default:
		// Unreachable: prefixLanguage rejects every other operator.
		b.WriteString(`[^\x00-\x{10FFFF}]`)
	}
}

func rxQuest(re *syntax.Regexp) *syntax.Regexp {
	return &syntax.Regexp{Op: syntax.OpQuest, Sub: []*syntax.Regexp{re}}
}

func rxConcat(a, b *syntax.Regexp) *syntax.Regexp {
	return &syntax.Regexp{Op: syntax.OpConcat, Sub: []*syntax.Regexp{a, b}}
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

// trimPartialRune drops a trailing incomplete UTF-8 sequence from b: the
// regexp engine would read it as U+FFFD and wrongly rule out a match that
// the rest of the sequence completes.
func trimPartialRune(b []byte) []byte {
	for k := 1; k <= 3 && k <= len(b); k++ {
		c := b[len(b)-k]
		if c < 0x80 {
			return b // ASCII: nothing partial after it
		}
		if c >= 0xC0 { // a leading byte
			need := 2
			switch {
			case c >= 0xF0:
				need = 4
			case c >= 0xE0:
				need = 3
			}
			if need > k {
				return b[:len(b)-k]
			}
			return b
		}
	}
	return b
}
