package measure

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"unicode"

	"github.com/sluicehq/sluice/extract"
)

// extractFunc runs one pass of a kind over r, passing each selected value
// to rec.
type extractFunc func(r io.Reader, rec *recorder) error

// tokenPeer returns the Decoder.Token peer: it walks the selector token by
// token and skips every other subtree token by token, as a careful
// encoding/json user would without the stream scanner.
func tokenPeer(sel extract.Selector) extractFunc {
	steps := sel.Steps()
	return func(r io.Reader, rec *recorder) error {
		dec := json.NewDecoder(r)
		dec.UseNumber() // numbers keep their text, as in the other kinds
		if err := walkTokens(dec, steps, rec); err != nil {
			return fmt.Errorf("json-token: offset %d: %w", dec.InputOffset(), err)
		}
		if _, err := dec.Token(); err != io.EOF {
			return fmt.Errorf("json-token: offset %d: data after the document", dec.InputOffset())
		}
		return nil
	}
}

// walkTokens reads one value from dec and passes the values that steps
// select within it to rec.
func walkTokens(dec *json.Decoder, steps []extract.Step, rec *recorder) error {
	tok, err := dec.Token()
	if err != nil {
		return unexpectedEOF(err)
	}
	d, composite := tok.(json.Delim)
	if len(steps) == 0 {
		if composite {
			return fmt.Errorf("selected value is %q: the token peer measures scalar values only", d)
		}
		rec.addString(tokenText(tok))
		return nil
	}
	if !composite {
		return nil // a scalar where the path goes deeper: nothing selected
	}
	step := steps[0]
	for dec.More() {
		match := step.Wildcard && d == '['
		if d == '{' {
			kt, err := dec.Token()
			if err != nil {
				return unexpectedEOF(err)
			}
			key, _ := kt.(string) // object keys are strings
			match = !step.Wildcard && key == step.Key
		}
		if match {
			err = walkTokens(dec, steps[1:], rec)
		} else {
			err = skipTokens(dec)
		}
		if err != nil {
			return err
		}
	}
	_, err = dec.Token() // the closing delimiter
	return unexpectedEOF(err)
}

// skipTokens reads one value from dec, token by token.
func skipTokens(dec *json.Decoder) error {
	depth := 0
	for {
		tok, err := dec.Token()
		if err != nil {
			return unexpectedEOF(err)
		}
		if d, ok := tok.(json.Delim); ok {
			if d == '{' || d == '[' {
				depth++
			} else {
				depth--
			}
		}
		if depth == 0 {
			return nil
		}
	}
}

func unexpectedEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// tokenText is the text of a scalar token: a string without its quotes
// (extract.ParseTimestamp takes bare text), a number as written.
func tokenText(tok json.Token) string {
	switch v := tok.(type) {
	case string:
		return v
	case json.Number:
		return string(v)
	case bool:
		if v {
			return "true"
		}
		return "false"
	}
	return "null"
}

// unmarshalPeer returns the Unmarshal peer: io.ReadAll, then json.Unmarshal
// into a struct type built from the selector (data.updates[*].timestamp
// becomes struct{Data struct{Updates []struct{Timestamp json.RawMessage}}}),
// which is how most Go code reads such a body. Like encoding/json, it
// matches keys without regard to case.
func unmarshalPeer(sel extract.Selector) (extractFunc, error) {
	typ, err := selectorType(sel.Steps())
	if err != nil {
		return nil, fmt.Errorf("json-unmarshal: selector %s: %w", sel, err)
	}
	steps := sel.Steps()
	return func(r io.Reader, rec *recorder) error {
		body, err := io.ReadAll(r)
		if err != nil {
			return err
		}
		v := reflect.New(typ)
		if err := json.Unmarshal(body, v.Interface()); err != nil {
			return fmt.Errorf("json-unmarshal: %w", err)
		}
		walkStruct(v.Elem(), steps, rec)
		return nil
	}, nil
}

var rawMessageType = reflect.TypeFor[json.RawMessage]()

// selectorType builds the Go type that json.Unmarshal fills with exactly
// the selected values.
func selectorType(steps []extract.Step) (reflect.Type, error) {
	if len(steps) == 0 {
		return rawMessageType, nil
	}
	inner, err := selectorType(steps[1:])
	if err != nil {
		return nil, err
	}
	if steps[0].Wildcard {
		return reflect.SliceOf(inner), nil
	}
	key := steps[0].Key
	if !validTagName(key) {
		return nil, fmt.Errorf("key %q cannot be a struct tag", key)
	}
	return reflect.StructOf([]reflect.StructField{{
		Name: "F",
		Type: inner,
		Tag:  reflect.StructTag(fmt.Sprintf(`json:%q`, key)),
	}}), nil
}

// validTagName mirrors encoding/json's rule for a field name in a tag;
// a name it rejects would silently be replaced by the Go field name.
func validTagName(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		switch {
		case strings.ContainsRune("!#$%&()*+-./:;<=>?@[]^_{|}~ ", c):
		case !unicode.IsLetter(c) && !unicode.IsDigit(c):
			return false
		}
	}
	return true
}

// walkStruct passes the selected values held in v (of selectorType) to rec
// in document order. An absent key leaves a nil RawMessage: nothing to pass.
func walkStruct(v reflect.Value, steps []extract.Step, rec *recorder) {
	switch {
	case len(steps) == 0:
		if raw := v.Bytes(); raw != nil {
			rec.add(raw)
		}
	case steps[0].Wildcard:
		for i := range v.Len() {
			walkStruct(v.Index(i), steps[1:], rec)
		}
	default:
		walkStruct(v.Field(0), steps[1:], rec)
	}
}
