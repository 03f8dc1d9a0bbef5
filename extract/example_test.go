package extract_test

import (
	"fmt"
	"log"
	"strings"
	"time"

	"github.com/sluicehq/sluice/extract"
)

// Extract the timestamps of a RIPEstat answer and its status in one pass.
func ExampleExtractor_Run() {
	body := `{"status":"ok","data":{"updates":[
		{"type":"A","timestamp":"2022-09-12T08:00:03","seq":1},
		{"type":"W","timestamp":"2022-09-12T08:15:00","seq":2}]}}`
	e, err := extract.New(extract.Options{Paths: []string{extract.DefaultPath, "status"}})
	if err != nil {
		log.Fatal(err)
	}
	n, err := e.Run(strings.NewReader(body), func(sel int, raw []byte) error {
		fmt.Printf("%s = %s\n", e.Selectors()[sel], raw)
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(n == int64(len(body)))
	// Output:
	// status = "ok"
	// data.updates[*].timestamp = "2022-09-12T08:00:03"
	// data.updates[*].timestamp = "2022-09-12T08:15:00"
	// true
}

// Malformed input is a *SyntaxError with the byte offset of the problem.
func ExampleExtractor_Run_syntaxError() {
	e, _ := extract.New(extract.Options{Mode: extract.Full})
	_, err := e.Run(strings.NewReader(`{"data":{"updates":[{"timestamp":1}`), func(int, []byte) error { return nil })
	fmt.Println(err)
	// Output:
	// extract: unexpected end of input in array at offset 35
}

// Regex mode matches text, not paths: the pattern derived from the
// selector finds the "ts" key wherever it is.
func ExampleNew_regex() {
	body := `{"a":[{"ts":1}],"other":{"ts":2}}`
	for _, mode := range []extract.Mode{extract.Stream, extract.Regex} {
		e, err := extract.New(extract.Options{Mode: mode, Paths: []string{"a[*].ts"}, BufferSize: 4})
		if err != nil {
			log.Fatal(err)
		}
		var vals []string
		e.Run(strings.NewReader(body), func(_ int, raw []byte) error {
			vals = append(vals, string(raw))
			return nil
		})
		fmt.Println(mode, vals)
	}
	// Output:
	// stream [1]
	// regex [1 2]
}

// A Tally turns selected values into a count, the first and last
// timestamp and per-hour counts; values that are not timestamps are
// counted, not dropped.
func ExampleTally() {
	t := extract.Tally{Bucket: time.Hour}
	for _, raw := range []string{`"2022-09-12T08:00:03"`, `"2022-09-12T08:59:59Z"`, `1662973200`, `null`, `"n/a"`} {
		t.Add([]byte(raw))
	}
	fmt.Println(t.Count, t.Invalid)
	fmt.Println(time.Unix(t.First, 0).UTC(), time.Unix(t.Last, 0).UTC())
	for _, h := range []int64{1662969600, 1662973200} {
		fmt.Println(time.Unix(h, 0).UTC().Format(time.RFC3339), t.Buckets[h])
	}
	// Output:
	// 3 2
	// 2022-09-12 08:00:03 +0000 UTC 2022-09-12 09:00:00 +0000 UTC
	// 2022-09-12T08:00:00Z 2
	// 2022-09-12T09:00:00Z 1
}

func ExampleParseTimestamp() {
	for _, raw := range []string{`"2022-09-12T08:00:03"`, `"2022-09-12T10:00:03+02:00"`, `1662969603`, `1662969603.9`, `"n/a"`} {
		sec, ok := extract.ParseTimestamp([]byte(raw), extract.Seconds)
		fmt.Println(sec, ok)
	}
	ms, _ := extract.ParseTimestamp([]byte(`1662969603250`), extract.Milliseconds)
	fmt.Println(ms)
	// Output:
	// 1662969603 true
	// 1662969603 true
	// 1662969603 true
	// 1662969603 true
	// 0 false
	// 1662969603
}
