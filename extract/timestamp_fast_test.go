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
	general := tsGeneral
	defer func() { tsGeneral = general }()
	var asked []byte
	tsGeneral = func(raw []byte, unit Unit) (int64, bool) {
		asked = raw
		return general(raw, unit)
	}
	for _, raw := range []string{
		`"2022-09-12T08:00:03"`, `"2022-09-12t08:00:03"`, `"2022-09-12 08:00:03"`,
		`"2022-09-12T08:00:03Z"`, `"2022-09-12T08:00:03z"`, `"2022-09-12T10:00:03+02:00"`,
		`"2022-09-12T03:30:03-04:30"`, `"2022-09-12T10:00:03+0200"`, `"2022-09-12T10:00:03+02"`,
		`"2022-09-12T08:00:03.5"`, `"2022-09-12T08:00:03,5"`, `"2022-09-12T08:00:03.123Z"`,
		`"2022-09-12T10:00:03.123456+02:00"`, `"2022-09-12T08:00:03.123456789Z"`,
		`"2022-09-12T08:00:03.123456789012345678901234567890-0000"`,
		`"0000-01-01T00:00:00"`, `"9999-12-31T23:59:59"`, `"2024-02-29T00:00:00"`, `"2000-02-29T23:59:59Z"`,
	} {
		want, ok := refParseTimestamp([]byte(raw), Seconds)
		if !ok {
			t.Fatalf("reference refuses %s", raw)
		}
		asked = nil
		if got, ok := ParseTimestamp([]byte(raw), Seconds); !ok || got != want || asked != nil {
			t.Errorf("ParseTimestamp(%s) = %d, %v (general parser asked: %v); want %d, true from the fast path", raw, got, ok, asked != nil, want)
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

// TestTsDays checks the day count of every date of the years 0000 to 9999
// against Hinnant's algorithm as the general parser has it.
func TestTsDays(t *testing.T) {
	for y := uint(0); y <= 9999; y++ {
		for mo := uint(1); mo <= 12; mo++ {
			for d := uint(1); d <= uint(tsDaysIn(int64(y), int64(mo))); d++ {
				if got, want := tsDays(y, mo, d), tsDaysFromCivil(int64(y), int64(mo), int64(d)); got != want {
					t.Fatalf("tsDays(%04d-%02d-%02d) = %d, want %d", y, mo, d, got, want)
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
