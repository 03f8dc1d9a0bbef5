package extract

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
)

// collect runs a stream Extractor over r and returns "sel:raw" for each
// emitted value, in order.
func collect(t testing.TB, opts Options, r io.Reader) ([]string, error) {
	t.Helper()
	opts.Mode = Stream
	e, err := New(opts)
	if err != nil {
		t.Fatalf("New(%+v): %v", opts, err)
	}
	var got []string
	_, err = e.Run(r, func(sel int, raw []byte) error {
		got = append(got, strconv.Itoa(sel)+":"+string(raw))
		return nil
	})
	return got, err
}

func isSyntaxOrTooLarge(err error) bool {
	var se *SyntaxError
	return errors.As(err, &se) || errors.Is(err, ErrValueTooLarge)
}

// valueCases are documents with the values each selector must yield, in
// document order. Every case also runs in strict mode, one byte at a time,
// and in odd chunk and buffer sizes.
var valueCases = []struct {
	name  string
	paths []string
	doc   string
	want  []string // "sel:raw"
}{
	{"ripestat element", []string{"data.updates[*].timestamp"},
		`{"data":{"updates":[{"type":"A","timestamp":"2022-09-12T08:00:03","attrs":{"path":[3333,1103],"community":["1103:1000"]},"seq":17}]}}`,
		[]string{`0:"2022-09-12T08:00:03"`}},
	{"batch of selectors, data last", []string{"data.updates[*].timestamp", "status"},
		`{"status":"ok","see_also":[],"data":{"nr_updates":2,"updates":[{"timestamp":1},{"timestamp":2.5}]}}`,
		[]string{"1:\"ok\"", "0:1", "0:2.5"}},
	{"batch of selectors, data first", []string{"data.updates[*].timestamp", "status"},
		`{"data":{"updates":[{"timestamp":1},{"x":{},"timestamp":-2e3}]},"pipeline":{"status":"no"},"status":"error"}`,
		[]string{"0:1", "0:-2e3", "1:\"error\""}},
	{"root wildcard", []string{"[*]"}, `[1, "two", {"three":[3]}, [], null, true, false]`,
		[]string{"0:1", `0:"two"`, `0:{"three":[3]}`, "0:[]", "0:null", "0:true", "0:false"}},
	{"root wildcard then key", []string{"[*].ts"}, `[{"ts":1},{"nots":2},3,[{"ts":4}],{"ts":{"x":[5]}}]`,
		[]string{"0:1", `0:{"x":[5]}`}},
	{"quoted key with a dot", []string{`["odd.key"][*].ts`}, `{"odd":{"key":[{"ts":0}]},"odd.key":[{"ts":9}]}`,
		[]string{"0:9"}},
	{"escaped document key", []string{"data.timestamp"}, `{"d\u0061ta":{"times\u0074amp":"t","timestamp":"u"}}`,
		[]string{`0:"t"`, `0:"u"`}},
	{"escaped quote and slash in key", []string{`["a\"b"]`, `["c/d"]`}, `{"a\"b":1,"c\/d":2,"a\\\"b":3}`,
		[]string{"0:1", "1:2"}},
	{"surrogate pair key", []string{`["\ud83d\ude00"]`, "é"}, `{"😀":1,"\uD83D\uDE00":2,"\u00e9":3}`,
		[]string{"0:1", "0:2", "1:3"}},
	{"duplicate keys all emitted", []string{"a"}, `{"a":1,"b":{"a":9},"a":2}`, []string{"0:1", "0:2"}},
	{"path through a scalar", []string{"a.b", "c[*]"}, `{"a":"b","c":{"0":1},"a":[{"b":1}]}`, nil},
	{"same path twice", []string{"a", "a"}, `{"a":7}`, []string{"0:7", "1:7"}},
	{"prefix selectors", []string{"a", "a.b", "a.b[*]"}, `{"a":{"b":[1,[2]],"c":3}}`,
		[]string{`0:{"b":[1,[2]],"c":3}`, "1:[1,[2]]", "2:1", "2:[2]"}},
	{"strings full of brackets", []string{"k"},
		`{"x":"]}[{","y":["\\",{"\"":"\\\"]"}],"z":"\u005d","k":"v\"}"}`, []string{`0:"v\"}"`}},
	{"pretty printed", []string{"data.updates[*].timestamp"},
		"{\n  \"data\" : {\n\t\"updates\" : [\r\n    { \"timestamp\" : 1 } ,\n    {\"timestamp\":2}\n  ]\n }\n}\n",
		[]string{"0:1", "0:2"}},
	{"empty containers", []string{"a[*]", "b.c"}, `{"a":[],"b":{},"a":{},"b":[]}`, nil},
	{"numbers", []string{"[*]"}, `[0,-0,1.5e10,-1E-2,123456789012345678901234567890,0.0e+0]`,
		[]string{"0:0", "0:-0", "0:1.5e10", "0:-1E-2", "0:123456789012345678901234567890", "0:0.0e+0"}},
	{"unicode and escapes in values", []string{"[*]"}, `["\u00e9\n\t\"\\\/","日本",""]`,
		[]string{`0:"\u00e9\n\t\"\\\/"`, `0:"日本"`, `0:""`}},
	{"scalar document", []string{"a"}, ` 42 `, nil},
	{"selected value with inner whitespace", []string{"a"}, `{"a" : [ 1 , { "b" : 2 } ] }`, []string{`0:[ 1 , { "b" : 2 } ]`}},
}

// readers returns the ways a test feeds doc to the scanner.
func readers(doc string) map[string]func() io.Reader {
	m := map[string]func() io.Reader{
		"whole":    func() io.Reader { return strings.NewReader(doc) },
		"one byte": func() io.Reader { return iotest.OneByteReader(strings.NewReader(doc)) },
		"data+EOF": func() io.Reader { return iotest.DataErrReader(strings.NewReader(doc)) },
		"half":     func() io.Reader { return iotest.HalfReader(strings.NewReader(doc)) },
	}
	for n := 2; n <= 16; n++ {
		m["chunks of "+strconv.Itoa(n)] = func() io.Reader { return &chunkReader{data: []byte(doc), sizes: []int{n}} }
	}
	m["chunks of 1, 4, 9, 2"] = func() io.Reader { return &chunkReader{data: []byte(doc), sizes: []int{1, 4, 9, 2}} }
	return m
}

func TestStreamValues(t *testing.T) {
	for _, tc := range valueCases {
		for rname, r := range readers(tc.doc) {
			for _, strict := range []bool{false, true} {
				for _, bufSize := range []int{0, 16, 17, 31} {
					got, err := collect(t, Options{Paths: tc.paths, Strict: strict, BufferSize: bufSize}, r())
					if err != nil {
						t.Errorf("%s (%s, strict=%v, buffer %d): %v", tc.name, rname, strict, bufSize, err)
						continue
					}
					if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
						t.Errorf("%s (%s, strict=%v, buffer %d):\n got %q\nwant %q", tc.name, rname, strict, bufSize, got, tc.want)
					}
				}
			}
		}
	}
}

// Modes an error case applies to.
const (
	bothModes = iota
	strictOnly
)

// errorCases are malformed documents with the offset and message the error
// must carry. eof marks truncated input (errors.Is io.ErrUnexpectedEOF).
var errorCases = []struct {
	name   string
	paths  []string
	mode   int
	doc    string
	offset int64
	msg    string
	eof    bool
}{
	{"empty input", []string{"a"}, bothModes, ``, 0, "empty input", true},
	{"only whitespace", []string{"a"}, bothModes, " \t\n", 3, "only whitespace", true},
	{"truncated object", []string{"a"}, bothModes, `{"a":1`, 6, "unexpected end of input in number", true},
	{"truncated selected string", []string{"a"}, bothModes, `{"a":"xy`, 8, "in string", true},
	{"truncated skipped subtree", []string{"a"}, bothModes, `{"b":[1,{"c":2}`, 15, "unexpected end of input", true},
	{"truncated literal", []string{"[*]"}, bothModes, `[tru`, 4, "in literal true", true},
	{"truncated after key", []string{"a"}, bothModes, `{"b"`, 4, "after object key", true},
	{"unterminated skipped string", []string{"a"}, bothModes, `{"b":"abc`, 9, "in string", true},
	{"escaped quote does not end a string", []string{"a"}, bothModes, `{"b":"a\"}`, 10, "in string", true},
	{"mismatched bracket in skipped subtree", []string{"a"}, bothModes, `{"b":[1}`, 7, "'}'", false},
	{"mismatched bracket on the path", []string{"a[*]"}, bothModes, `{"a":[1}`, 7, "after array element", false},
	{"mismatched bracket in selected value", []string{"a"}, bothModes, `{"a":[1}}`, 7, "after array element", false},
	{"extra closing bracket", []string{"a"}, bothModes, `{"a":1}}`, 7, "after top-level value", false},
	{"trailing garbage", []string{"a"}, bothModes, `{"a":1} x`, 8, "invalid character 'x' after top-level value", false},
	{"two documents", []string{"a"}, bothModes, `{} {}`, 3, "after top-level value", false},
	{"missing colon", []string{"a"}, bothModes, `{"a" 1}`, 5, "invalid character '1' after object key", false},
	{"key not a string", []string{"a"}, bothModes, `{a:1}`, 1, "looking for object key", false},
	{"trailing comma in object", []string{"a"}, bothModes, `{"a":1,}`, 7, "looking for object key", false},
	{"trailing comma in array", []string{"[*]"}, bothModes, `[1,]`, 3, "looking for beginning of value", false},
	{"misspelt selected literal", []string{"a"}, bothModes, `{"a":nul}`, 8, "in literal null", false},
	{"bad escape in selected string", []string{"a"}, bothModes, `{"a":"\x"}`, 7, "invalid escape 'x'", false},
	{"garbage where a value goes", []string{"a.b"}, bothModes, `{"a":x}`, 5, "looking for beginning of value", false},
	{"nesting too deep", []string{"a"}, bothModes, strings.Repeat("[", 10001), 10000, "nesting deeper than 10000", false},
	{"control character in string", []string{"x"}, strictOnly, "[\"a\tb\"]", 3, "control character", false},
	{"invalid escape", []string{"x"}, strictOnly, `["\x"]`, 3, "invalid escape 'x'", false},
	{"bad hex in \\u", []string{"x"}, strictOnly, `["\u12G4"]`, 6, `in \u escape`, false},
	{"invalid UTF-8", []string{"x"}, strictOnly, "[\"a\xffb\"]", 3, "invalid UTF-8", false},
	{"leading zero", []string{"x"}, strictOnly, `[01]`, 2, "after array element", false},
	{"no digit after dot", []string{"x"}, strictOnly, `[1.]`, 3, "want digit", false},
	{"misspelt skipped literal", []string{"a"}, strictOnly, `{"b":[truth]}`, 9, "in literal true", false},
	{"newline in a key on the path", []string{"a"}, strictOnly, "{\"a\nb\":1}", 3, "control character", false},
	{"truncated escape", []string{"x"}, bothModes, `["\u12`, 6, "in string", true},
	{"truncated UTF-8", []string{"x"}, bothModes, "[\"\xe6\x97", 4, "in string", true},
}

func TestStreamErrors(t *testing.T) {
	for _, tc := range errorCases {
		for rname, r := range readers(tc.doc) {
			for _, strict := range []bool{false, true} {
				got, err := collect(t, Options{Paths: tc.paths, Strict: strict, BufferSize: 16}, r())
				if !strict && tc.mode == strictOnly {
					if err != nil {
						t.Errorf("%s (%s): default mode: %v (want accepted)", tc.name, rname, err)
					}
					continue
				}
				var se *SyntaxError
				if !errors.As(err, &se) {
					t.Errorf("%s (%s, strict=%v): got %v, values %q; want *SyntaxError", tc.name, rname, strict, err, got)
					continue
				}
				if se.Offset != tc.offset || !strings.Contains(err.Error(), tc.msg) ||
					!strings.HasPrefix(err.Error(), "extract: ") ||
					!strings.HasSuffix(err.Error(), " at offset "+strconv.FormatInt(tc.offset, 10)) {
					t.Errorf("%s (%s, strict=%v): got %q (offset %d); want offset %d and %q", tc.name, rname, strict, err, se.Offset, tc.offset, tc.msg)
				}
				if errors.Is(err, io.ErrUnexpectedEOF) != tc.eof {
					t.Errorf("%s (%s, strict=%v): errors.Is(err, io.ErrUnexpectedEOF) = %v", tc.name, rname, strict, !tc.eof)
				}
			}
		}
	}
}

// One pass reads the timestamps and the envelope's status together,
// wherever they sit and whatever the key order.
func ExampleExtractor_Run_batch() {
	body := `{"status":"ok","data":{"nr_updates":2,"updates":[
		{"type":"A","timestamp":"2022-09-12T08:00:03","attrs":{"path":[3333,1103]}},
		{"type":"W","attrs":{},"timestamp":"2022-09-12T08:00:04"}]}}`
	e, err := New(Options{Paths: []string{"data.updates[*].timestamp", "status"}})
	if err != nil {
		panic(err)
	}
	n, err := e.Run(strings.NewReader(body), func(sel int, raw []byte) error {
		fmt.Printf("%s: %s\n", e.Selectors()[sel], raw)
		return nil
	})
	fmt.Println(n, err)

	_, err = e.Run(strings.NewReader(`{"data":{"updates":[{"timestamp":1}`), func(int, []byte) error { return nil })
	fmt.Println(err, errors.Is(err, io.ErrUnexpectedEOF))
	// Output:
	// status: "ok"
	// data.updates[*].timestamp: "2022-09-12T08:00:03"
	// data.updates[*].timestamp: "2022-09-12T08:00:04"
	// 191 <nil>
	// extract: unexpected end of input in array at offset 35 true
}
