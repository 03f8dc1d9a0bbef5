package extract

import (
	"fmt"
	"math/rand/v2"
	"strconv"
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

// FuzzParseTimestampMatchesReference: the fast parser accepts exactly what
// the reference (the parser before its fast paths, timestamp_ref_test.go)
// accepts, with the same result, in both units.
//
//	go test -fuzz FuzzParseTimestampMatchesReference ./extract
func FuzzParseTimestampMatchesReference(f *testing.F) {
	for _, s := range timestampSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		for _, unit := range []Unit{Seconds, Milliseconds} {
			sec, ok := ParseTimestamp(raw, unit)
			rsec, rok := refParseTimestamp(raw, unit)
			if sec != rsec || ok != rok {
				t.Fatalf("ParseTimestamp(%q, %v) = %d, %v; reference %d, %v", raw, unit, sec, ok, rsec, rok)
			}
		}
	})
}

// timestampSeeds are the corners of both fast paths: every field at and
// past its limits, signs, lengths around 18 digits, near-layouts.
var timestampSeeds = []string{
	`"2022-09-12T08:00:03"`, `"2022-09-12T08:00:03Z"`, `"2022-09-12t08:00:03"`, `"2022-09-12 08:00:03"`,
	`"0000-01-01T00:00:00"`, `"9999-12-31T23:59:59"`, `"2024-02-29T00:00:00"`, `"2023-02-29T00:00:00"`,
	`"2100-02-29T00:00:00"`, `"2000-02-29T00:00:00"`, `"2022-00-12T08:00:03"`, `"2022-13-12T08:00:03"`,
	`"2022-09-00T08:00:03"`, `"2022-09-31T08:00:03"`, `"2022-01-31T08:00:03"`, `"2022-09-12T24:00:03"`,
	`"2022-09-12T08:60:03"`, `"2022-09-12T08:00:60"`, `"2022-09-12T08:00:0a"`, `"202a-09-12T08:00:03"`,
	`"2022/09/12T08:00:03"`, `"2022-09-12T08:00:03.5"`, `"-022-09-12T08:00:03"`, `"+022-09-12T08:00:03"`,
	`0`, `-0`, `-`, `+1`, `1662969603`, `-1`, `-1662969603250`, `999999999999999999`, `-999999999999999999`,
	`9999999999999999999`, `253402300799`, `253402300800`, `-62167219200`, `-62167219201`,
	`253402300799999`, `253402300800000`, `-62167219200000`, `-62167219200001`, `1e3`, `12 `, ` 12`, `1.5`,
	`null`, `""`, `"`, ``,
	// Fractions and zones, the tail of the quoted fast path.
	`"2022-09-12T08:00:03.123+02:00"`, `"2022-09-12T08:00:03,5Z"`, `"2022-09-12T08:00:03+0200"`,
	`"2022-09-12T08:00:03-02"`, `"2022-09-12T08:00:03.Z"`, `"2022-09-12T08:00:03.123456789012345678Z"`,
	`"2022-09-12T08:00:03.1234567"`, `"2022-09-12T08:00:03.12345678"`, `"2022-09-12T08:00:03.123456789"`,
	`"2022-09-12T08:00:03+24:00"`, `"2022-09-12T08:00:03+23:60"`, `"2022-09-12T08:00:03+23:59"`,
	`"2022-09-12T08:00:03-00:00"`, `"2022-09-12T08:00:03+2:00"`, `"2022-09-12T08:00:03+02:0"`,
	`"2022-09-12T08:00:03+02:00Z"`, `"2022-09-12T08:00:03Z+02:00"`, `"2022-09-12T08:00:03.12a4Z"`,
	`"2022-09-12T08:00:03.5.5"`, `"2022-09-12T08:00:03.+02"`, `"2022-09-12T08:00:03+02+03"`,
	`"2022-09-12T08:00:03ZZ"`, `"2022-09-12T08:00:03 Z"`, `"2022-09-12T08:00:03:00"`,
	`"0000-01-01T00:30:00+01:00"`, `"0000-01-01T00:30:00-01:00"`, `"9999-12-31T23:59:59-01:00"`,
	`"9999-12-31T23:59:59+01:00"`, `"0000-02-29T12:00:00Z"`, `"2022-09-12T08:00:03\u005a"`,
	// Integers around the 8-byte words: 9 to 16 bytes, a minus anywhere.
	`-12345678`, `123456789`, `12-456789`, `1234567-9`, `1234567890123456`, `-123456789012345`,
	`12345678901234567`, `-1234567890123456`, `--12345678`, `+12345678`, `00000000001662969603`,
}

// TestParseTimestampMatchesReference runs the fuzz property over the seeds
// and every value the corners generate, in a plain test run.
func TestParseTimestampMatchesReference(t *testing.T) {
	check := func(raw string) {
		for _, unit := range []Unit{Seconds, Milliseconds} {
			sec, ok := ParseTimestamp([]byte(raw), unit)
			rsec, rok := refParseTimestamp([]byte(raw), unit)
			if sec != rsec || ok != rok {
				t.Fatalf("ParseTimestamp(%q, %v) = %d, %v; reference %d, %v", raw, unit, sec, ok, rsec, rok)
			}
		}
	}
	for _, s := range timestampSeeds {
		check(s)
	}
	// Every day of years around the century rules, at a few times.
	for _, y := range []int{0, 1, 4, 100, 400, 1969, 1970, 1999, 2000, 2022, 2024, 2100, 9999} {
		for m := 0; m <= 13; m++ {
			for d := 0; d <= 32; d++ {
				check(fmt.Sprintf(`"%04d-%02d-%02dT%02d:%02d:%02d"`, y, m, d, (y+d)%25, (m*7)%61, (d*11)%61))
			}
		}
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for range 20000 {
		n := rng.Int64() >> rng.IntN(64)
		check(strconv.FormatInt(n, 10))
	}
}
