package extract

import (
	"fmt"
	"testing"
)

// TestParseTimestampFastPathsTake checks that the fast paths themselves
// take the layouts they are for, with the reference's result: a change
// that sent them to the general parser would pass every other test and
// only be slower.
func TestParseTimestampFastPathsTake(t *testing.T) {
	for _, raw := range []string{
		`"2022-09-12T08:00:03"`, `"2022-09-12t08:00:03"`, `"2022-09-12 08:00:03"`,
		`"2022-09-12T08:00:03Z"`, `"2022-09-12T08:00:03z"`, `"2022-09-12T10:00:03+02:00"`,
		`"2022-09-12T03:30:03-04:30"`, `"2022-09-12T10:00:03+0200"`, `"2022-09-12T10:00:03+02"`,
		`"2022-09-12T08:00:03.5"`, `"2022-09-12T08:00:03,5"`, `"2022-09-12T08:00:03.123Z"`,
		`"2022-09-12T10:00:03.123456+02:00"`, `"2022-09-12T08:00:03.123456789Z"`,
		`"2022-09-12T08:00:03.123456789012345678901234567890-0000"`,
		`"0000-01-01T00:00:00"`, `"9999-12-31T23:59:59"`, `"2024-02-29T00:00:00"`, `"2000-02-29T23:59:59Z"`,
		`"0000-01-01T01:30:00+01:00"`, `"9999-12-31T22:59:59-01:00"`,
	} {
		want, ok := refParseTimestamp([]byte(raw), Seconds)
		if !ok {
			t.Fatalf("reference refuses %s", raw)
		}
		if got, ok := tsQuoted([]byte(raw)); !ok || got != want {
			t.Errorf("tsQuoted(%s) = %d, %v; want %d, true", raw, got, ok, want)
		}
	}
	for _, v := range []struct {
		raw  string
		unit Unit
	}{
		{`0`, Seconds}, {`-1`, Seconds}, {`-1`, Milliseconds}, {`1662969603`, Seconds}, {`-1662969603`, Seconds},
		{`1662969603250`, Milliseconds}, {`-1662969603250`, Milliseconds}, {`123456789`, Seconds},
		{`0253402300799999`, Milliseconds}, {`-062167219200000`, Milliseconds}, {`-62167219200`, Seconds}, {`000000000000000001`, Seconds},
	} {
		want, ok := refParseTimestamp([]byte(v.raw), v.unit)
		if !ok {
			t.Fatalf("reference refuses %s (%v)", v.raw, v.unit)
		}
		if got, ok := tsInteger([]byte(v.raw), v.unit); !ok || got != want {
			t.Errorf("tsInteger(%s, %v) = %d, %v; want %d, true", v.raw, v.unit, got, ok, want)
		}
	}
}

// TestTsDays checks the day count and the validity of every day number 0
// to 40 of every month number 0 to 15 of the years 0000 to 9999 against
// Hinnant's algorithm and the month lengths as the general parser has them.
func TestTsDays(t *testing.T) {
	for y := uint(0); y <= 9999; y++ {
		for mo := uint(0); mo <= 15; mo++ {
			for d := uint(0); d <= 40; d++ {
				valid := mo >= 1 && mo <= 12 && d >= 1 && d <= uint(tsDaysIn(int64(y), int64(mo)))
				got, ok := tsDays(y/100, y%100, mo<<2, d)
				if ok != valid || ok && got != tsDaysFromCivil(int64(y), int64(mo), int64(d)) {
					t.Fatalf("tsDays(%04d-%02d-%02d) = %d, %v; want %d, %v", y, mo, d, got, ok, tsDaysFromCivil(int64(y), int64(mo), int64(d)), valid)
				}
			}
		}
	}
}

// TestParseTimestampZonesMatchReference runs every two-digit offset in
// each zone form, with and without a fraction, against the reference.
// The hours-only form is taken once per hour, not once per minute.
func TestParseTimestampZonesMatchReference(t *testing.T) {
	for _, frac := range []string{"", ".5", ",123", ".123456789"} {
		for h := 0; h < 100; h++ {
			for m := 0; m < 100; m++ {
				for _, sign := range "+-" {
					zones := []string{fmt.Sprintf("%c%02d:%02d", sign, h, m), fmt.Sprintf("%c%02d%02d", sign, h, m)}
					if m == 0 {
						zones = append(zones, fmt.Sprintf("%c%02d", sign, h))
					}
					for _, zone := range zones {
						raw := []byte(`"2022-09-12T08:00:03` + frac + zone + `"`)
						sec, ok := ParseTimestamp(raw, Seconds)
						rsec, rok := refParseTimestamp(raw, Seconds)
						if sec != rsec || ok != rok {
							t.Fatalf("ParseTimestamp(%s) = %d, %v; reference %d, %v", raw, sec, ok, rsec, rok)
						}
					}
				}
			}
		}
	}
}
