package extract

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func TestParseSelector(t *testing.T) {
	k := func(s string) Step { return Step{Key: s} }
	w := Step{Wildcard: true}
	for _, tc := range []struct {
		in   string
		want []Step
	}{
		{"data.updates[*].timestamp", []Step{k("data"), k("updates"), w, k("timestamp")}},
		{`["odd.key"][*].ts`, []Step{k("odd.key"), w, k("ts")}},
		{"[*]", []Step{w}},
		{"[*][*]", []Step{w, w}},
		{`a["b"]`, []Step{k("a"), k("b")}},
		{`a["b"].c`, []Step{k("a"), k("b"), k("c")}},
		{`["times\u0074amp"]`, []Step{k("timestamp")}},
		{`["a\"b\\c\/d\n"]`, []Step{k("a\"b\\c/d\n")}},
		{`["\ud83d\ude00"]`, []Step{k("😀")}},
		{`["\ud83d"]`, []Step{k("\uFFFD")}},
		{`[""]`, []Step{k("")}},
		{`["a b"]`, []Step{k("a b")}},
		{"é.ü-1_x", []Step{k("é"), k("ü-1_x")}},
		{"status", []Step{k("status")}},
	} {
		sel, err := ParseSelector(tc.in)
		if err != nil {
			t.Errorf("ParseSelector(%q): %v", tc.in, err)
			continue
		}
		if !reflect.DeepEqual(sel.Steps(), tc.want) || sel.String() != tc.in {
			t.Errorf("ParseSelector(%q) = %+v (%q), want %+v", tc.in, sel.Steps(), sel.String(), tc.want)
		}
	}
}

func TestParseSelectorErrors(t *testing.T) {
	for _, tc := range []struct {
		in  string
		pos int
		msg string
	}{
		{"", 0, "empty selector"},
		{".a", 0, "starts with '.'"},
		{"a.", 2, "empty key"},
		{"a..b", 2, "unexpected '.'"},
		{"a.*", 2, "use [*]"},
		{"a[0]", 2, "array indexes are not supported"},
		{"a[", 2, "unterminated bracket"},
		{"a[*", 2, "expected * or a quoted key"},
		{"a[b]", 2, "expected * or a quoted key"},
		{`a["b"`, 5, "expected ] after quoted key"},
		{`a["b`, 4, "unterminated quoted key"},
		{`["\x"]`, 2, "invalid escape 'x'"},
		{`["\u12"]`, 2, `invalid \u escape`},
		{"[\"a\tb\"]", 3, "control character"},
		{"a b", 1, "unexpected ' ' in key"},
		{`a"b"`, 1, `unexpected '"' in key`},
		{"[*]a", 3, "want . or [ between steps"},
		{`["a"]b`, 5, "want . or [ between steps"},
		{"a]", 1, "unexpected ']' in key"},
	} {
		_, err := ParseSelector(tc.in)
		var se *SelectorError
		if !errors.As(err, &se) {
			t.Errorf("ParseSelector(%q) = %v, want *SelectorError", tc.in, err)
			continue
		}
		want := fmt.Sprintf("at byte %d", tc.pos)
		if se.Pos != tc.pos || !strings.Contains(err.Error(), tc.msg) || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "extract: selector ") {
			t.Errorf("ParseSelector(%q) = %q (pos %d), want %q at %d", tc.in, err, se.Pos, tc.msg, tc.pos)
		}
	}
}

func ExampleParseSelector() {
	sel, _ := ParseSelector(`data["odd.key"][*].timestamp`)
	for _, st := range sel.Steps() {
		if st.Wildcard {
			fmt.Println("[*]")
		} else {
			fmt.Printf("%q\n", st.Key)
		}
	}
	_, err := ParseSelector("data.updates[0]")
	fmt.Println(err)
	// Output:
	// "data"
	// "odd.key"
	// [*]
	// "timestamp"
	// extract: selector "data.updates[0]": array indexes are not supported (use [*]) at byte 13
}
