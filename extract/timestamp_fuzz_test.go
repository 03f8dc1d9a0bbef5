package extract

import (
	"testing"
	"time"
)

// FuzzParseTimestamp: never a panic, and whenever the hand parser takes a
// string in the fixed RFC 3339 layout, time.Parse agrees with it.
//
//	go test -fuzz FuzzParseTimestamp ./extract
func FuzzParseTimestamp(f *testing.F) {
	for _, s := range []string{`"2022-09-12T08:00:03"`, `"2022-09-12T08:00:03.25+02:00"`, `1662969603`, `-1.5e3`, `"2024-02-29 23:59:59Z"`, `null`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		sec, ok := ParseTimestamp(raw, Seconds)
		ParseTimestamp(raw, Milliseconds)
		if !ok || len(raw) < 21 || raw[0] != '"' || raw[11] != 'T' {
			return
		}
		s := string(raw[1 : len(raw)-1])
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999"} {
			if tm, err := time.Parse(layout, s); err == nil && tm.Unix() != sec {
				t.Fatalf("ParseTimestamp(%s) = %d; time.Parse = %d", raw, sec, tm.Unix())
			}
		}
	})
}
