package extract

import (
	"testing"
	"time"
)

func TestParseTimestamp(t *testing.T) {
	const base = 1662969603 // 2022-09-12T08:00:03Z
	tests := []struct {
		name string
		raw  string
		unit Unit
		want int64
		ok   bool
	}{
		{"ripestat string", `"2022-09-12T08:00:03"`, Seconds, base, true},
		{"zulu", `"2022-09-12T08:00:03Z"`, Seconds, base, true},
		{"lower t and z", `"2022-09-12t08:00:03z"`, Seconds, base, true},
		{"fraction floored", `"2022-09-12T08:00:03.25Z"`, Seconds, base, true},
		{"fraction nanos", `"2022-09-12T08:00:03.999999999"`, Seconds, base, true},
		{"comma fraction", `"2022-09-12T08:00:03,5"`, Seconds, base, true},
		{"plus offset", `"2022-09-12T10:00:03+02:00"`, Seconds, base, true},
		{"minus offset", `"2022-09-12T03:30:03-04:30"`, Seconds, base, true},
		{"offset no colon", `"2022-09-12T10:00:03+0200"`, Seconds, base, true},
		{"offset hours only", `"2022-09-12T10:00:03+02"`, Seconds, base, true},
		{"space separator", `"2022-09-12 08:00:03"`, Seconds, base, true},
		{"bare text", `2022-09-12T08:00:03`, Seconds, base, true},
		{"surrounding space", " \"2022-09-12T08:00:03\"\n", Seconds, base, true},
		{"escaped string", `"2022\u002d09-12T08:00:03"`, Seconds, base, true},
		{"escaped slash junk", `"2022-09-12T08:00:03\/"`, Seconds, 0, false},
		{"leap day", `"2024-02-29T00:00:00"`, Seconds, 1709164800, true},
		{"no leap day", `"2023-02-29T00:00:00"`, Seconds, 0, false},
		{"epoch", `"1970-01-01T00:00:00Z"`, Seconds, 0, true},
		{"before epoch", `"1969-12-31T23:59:59Z"`, Seconds, -1, true},
		{"year 2400 leap", `"2400-02-29T00:00:00Z"`, Seconds, 13574563200, true},
		{"month 13", `"2022-13-12T08:00:03"`, Seconds, 0, false},
		{"hour 24", `"2022-09-12T24:00:03"`, Seconds, 0, false},
		{"second 60", `"2022-09-12T08:00:60"`, Seconds, 0, false},
		{"empty fraction", `"2022-09-12T08:00:03."`, Seconds, 0, false},
		{"bad zone", `"2022-09-12T08:00:03+2"`, Seconds, 0, false},
		{"trailing junk", `"2022-09-12T08:00:03 junk"`, Seconds, 0, false},
		{"date only", `"2022-09-12"`, Seconds, 1662940800, true},
		{"no seconds", `"2022-09-12T08:00"`, Seconds, base - 3, true},
		{"no seconds zone", `"2022-09-12T10:00+02:00"`, Seconds, base - 3, true},
		{"basic format", `"20220912T080003Z"`, Seconds, base, true},
		{"integer seconds", `1662969603`, Seconds, base, true},
		{"integer ms", `1662969603250`, Milliseconds, base, true},
		{"negative ms floors", `-1`, Milliseconds, -1, true},
		{"negative seconds", `-5`, Seconds, -5, true},
		{"float floors", `1662969603.9`, Seconds, base, true},
		{"negative float floors", `-1.5`, Seconds, -2, true},
		{"exponent", `1.662969603e9`, Seconds, base, true},
		{"float ms", `1662969603250.5`, Milliseconds, base, true},
		{"zero", `0`, Seconds, 0, true},
		{"int64 max", `9223372036854775807`, Seconds, 0, false},
		{"int64 max ms", `9223372036854775807`, Milliseconds, 0, false},
		{"int64 min", `-9223372036854775808`, Seconds, 0, false},
		{"wild negative", `-99999999999999`, Seconds, 0, false},
		{"wild negative ms", `-99999999999999999`, Milliseconds, 0, false},
		{"wild float", `-99999999999999.5`, Seconds, 0, false},
		{"year 0 first second", `-62167219200`, Seconds, -62167219200, true},
		{"before year 0", `-62167219201`, Seconds, 0, false},
		{"year 0 ms", `-62167219200000`, Milliseconds, -62167219200, true},
		{"before year 0 ms", `-62167219200001`, Milliseconds, 0, false},
		{"year 9999 last second", `253402300799`, Seconds, 253402300799, true},
		{"year 10000", `253402300800`, Seconds, 0, false},
		{"year 9999 last ms", `253402300799999`, Milliseconds, 253402300799, true},
		{"year 10000 ms", `253402300800000`, Milliseconds, 0, false},
		{"year 10000 float", `253402300800.5`, Seconds, 0, false},
		{"year 9999 float", `253402300799.5`, Seconds, 253402300799, true},
		{"year 0000 string", `"0000-01-01T00:00:00Z"`, Seconds, -62167219200, true},
		{"year 0000 east of UTC", `"0000-01-01T00:30:00+01:00"`, Seconds, 0, false},
		{"year 9999 string", `"9999-12-31T23:59:59Z"`, Seconds, 253402300799, true},
		{"year 9999 west of UTC", `"9999-12-31T23:59:59-01:00"`, Seconds, 0, false},
		{"year 10000 string", `"10000-01-01T00:00:00Z"`, Seconds, 0, false},
		{"year 10000 bare", `10000-01-01T00:00:00`, Seconds, 0, false},
		{"beyond int64", `9223372036854775808`, Seconds, 0, false},
		{"huge float", `1e300`, Seconds, 0, false},
		{"plus sign bare", `+5`, Seconds, 5, true},
		{"lone minus", `-`, Seconds, 0, false},
		{"bad number", `1.5.5`, Seconds, 0, false},
		{"quoted number", `"1662969603"`, Seconds, 0, false},
		{"null", `null`, Seconds, 0, false},
		{"true", `true`, Seconds, 0, false},
		{"false", `false`, Seconds, 0, false},
		{"n/a", `"n/a"`, Seconds, 0, false},
		{"empty string", `""`, Seconds, 0, false},
		{"empty", ``, Seconds, 0, false},
		{"object", `{"t":1}`, Seconds, 0, false},
		{"array", `[1]`, Seconds, 0, false},
		{"unterminated", `"2022-09-12T08:00:03`, Seconds, 0, false},
		{"lone quote", `"`, Seconds, 0, false},
		{"long escaped", `"` + string(make([]byte, 70)) + `\n"`, Seconds, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := ParseTimestamp([]byte(tt.raw), tt.unit)
			if ok != tt.ok || (ok && got != tt.want) {
				t.Fatalf("ParseTimestamp(%q, %v) = %d, %v; want %d, %v", tt.raw, tt.unit, got, ok, tt.want, tt.ok)
			}
		})
	}
}

// TestParseTimestampAgreesWithTime checks the hand parser against
// time.Parse over a spread of instants, zones and fractions.
func TestParseTimestampAgreesWithTime(t *testing.T) {
	zones := []*time.Location{time.UTC, time.FixedZone("", 2*3600), time.FixedZone("", -(9*3600 + 30*60))}
	layouts := []string{"2006-01-02T15:04:05Z07:00", "2006-01-02T15:04:05.000Z07:00", "2006-01-02T15:04:05.999999999Z07:00"}
	for sec := int64(-2e9); sec < 5e9; sec += 7777777 {
		for _, z := range zones {
			for _, layout := range layouts {
				tm := time.Unix(sec, 123456789).In(z)
				s := `"` + tm.Format(layout) + `"`
				got, ok := ParseTimestamp([]byte(s), Seconds)
				if !ok || got != sec {
					t.Fatalf("ParseTimestamp(%s) = %d, %v; want %d", s, got, ok, sec)
				}
			}
		}
	}
}

func TestParseTimestampAllocs(t *testing.T) {
	for _, raw := range []string{`"2022-09-12T08:00:03"`, `"2022-09-12T08:00:03.25+02:00"`, `1662969603`, `1662969603.5`, `"2022\u002d09-12T08:00:03"`, `null`, `"n/a"`} {
		b := []byte(raw)
		if n := testing.AllocsPerRun(100, func() { ParseTimestamp(b, Seconds) }); n != 0 {
			t.Errorf("ParseTimestamp(%s): %v allocs per value, want 0", raw, n)
		}
	}
}

func TestParseUnit(t *testing.T) {
	for in, want := range map[string]Unit{"": Seconds, "s": Seconds, "seconds": Seconds, "ms": Milliseconds, "milliseconds": Milliseconds} {
		if got, err := ParseUnit(in); err != nil || got != want {
			t.Errorf("ParseUnit(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := ParseUnit("us"); err == nil {
		t.Error(`ParseUnit("us") accepted`)
	}
}

// BenchmarkParseTimestamp measures the parser per value and layout beside
// the fast paths it replaced (prev, timestamp_prev_test.go) and the parser
// before any fast path (ref, timestamp_ref_test.go), in the same run;
// cpu-ns/op is the process's CPU time per value, steadier than the wall
// time on a shared machine:
//
//	go test -run '^$' -bench ParseTimestamp -cpu 1 ./extract
//
// benchstat -col /parser compares the three.
func BenchmarkParseTimestamp(b *testing.B) {
	for _, l := range []struct {
		name, raw string
		unit      Unit
	}{
		{"ripestat", `"2022-09-12T08:00:03"`, Seconds},
		{"zulu", `"2022-09-12T08:00:03Z"`, Seconds},
		{"offset", `"2022-09-12T10:00:03+02:00"`, Seconds},
		{"millis-offset", `"2022-09-12T10:00:03.123+02:00"`, Seconds},
		{"nanos-zulu", `"2022-09-12T08:00:03.123456789Z"`, Seconds},
		{"space-basic-offset", `"2022-09-12 10:00:03+0200"`, Seconds},
		{"int-seconds", `1662969603`, Seconds},
		{"int-millis", `1662969603250`, Milliseconds},
		{"int-negative", `-1662969603`, Seconds},
	} {
		for _, p := range []struct {
			name  string
			parse func([]byte, Unit) (int64, bool)
		}{{"new", ParseTimestamp}, {"prev", prevParseTimestamp}, {"ref", refParseTimestamp}} {
			b.Run("layout="+l.name+"/parser="+p.name, func(b *testing.B) {
				v := []byte(l.raw)
				if _, ok := p.parse(v, l.unit); !ok {
					b.Fatalf("%s does not take %s", p.name, l.raw)
				}
				b.ReportAllocs()
				b.SetBytes(int64(len(v)))
				c0 := cpuTime()
				for b.Loop() {
					p.parse(v, l.unit)
				}
				if cpu := cpuTime() - c0; cpu > 0 {
					b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
				}
			})
		}
	}
}
