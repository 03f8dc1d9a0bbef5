package extract

import (
	"bytes"
	"fmt"
	"math"
	"strconv"
	"time"
)

// Unit is the unit of numeric timestamps. Strings carry their own layout
// and ignore it.
type Unit int

// The units of numeric timestamps. The zero Unit is Seconds.
const (
	Seconds      Unit = iota // unix seconds
	Milliseconds             // unix milliseconds
)

// ParseUnit parses a unit as given on the command line: "s" (or "",
// "sec", "seconds") or "ms" (or "milliseconds").
func ParseUnit(s string) (Unit, error) {
	switch s {
	case "", "s", "sec", "seconds":
		return Seconds, nil
	case "ms", "milliseconds":
		return Milliseconds, nil
	}
	return 0, fmt.Errorf("extract: unknown timestamp unit %q (want s or ms)", s)
}

// String returns "s" or "ms".
func (u Unit) String() string {
	if u == Milliseconds {
		return "ms"
	}
	return "s"
}

// tsGeneral is ParseTimestamp's general parser, with the range check,
// for whatever the fast paths do not take whole.
func tsGeneral(raw []byte, unit Unit) (int64, bool) {
	sec, ok := parseTimestamp(raw, unit)
	if !ok || sec < MinTimestamp || sec > MaxTimestamp {
		return 0, false
	}
	return sec, true
}

// The range of valid timestamps in unix seconds: 0000-01-01T00:00:00Z to
// 9999-12-31T23:59:59Z. Differences and bucket starts of values in it do
// not overflow int64.
const (
	MinTimestamp = -62167219200
	MaxTimestamp = 253402300799
)

// parseTimestamp is ParseTimestamp without the range check.
func parseTimestamp(raw []byte, unit Unit) (sec int64, ok bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return 0, false
	}
	switch c := raw[0]; {
	case c == '"':
		if len(raw) < 2 || raw[len(raw)-1] != '"' {
			return 0, false
		}
		s := raw[1 : len(raw)-1]
		if bytes.IndexByte(s, '\\') >= 0 {
			// Escapes in a timestamp are odd but legal ("2022\u002d09…");
			// decode into a stack buffer: a longer string is no date-time.
			var buf [64]byte
			if len(s) > len(buf) {
				return 0, false
			}
			u, good := appendUnescaped(buf[:0], s)
			if !good {
				return 0, false
			}
			s = u
		}
		return tsDateTime(s)
	case c == '-' || c == '+' || (c >= '0' && c <= '9'):
		if sec, ok := tsNumber(raw, unit); ok {
			return sec, true
		}
		return tsDateTime(raw)
	}
	return tsDateTime(raw)
}

// tsNumber parses a JSON number (also accepting a leading '+', as bare
// text may have) as seconds or milliseconds, floored.
func tsNumber(b []byte, unit Unit) (int64, bool) {
	i := 0
	neg := false
	if b[0] == '-' || b[0] == '+' {
		neg = b[0] == '-'
		i++
	}
	if i == len(b) {
		return 0, false
	}
	// Fast path: an integer that fits in int64.
	var n uint64
	j := i
	for ; j < len(b) && b[j] >= '0' && b[j] <= '9'; j++ {
		d := uint64(b[j] - '0')
		if n > (math.MaxInt64-d)/10 {
			n = math.MaxUint64 // overflow: let ParseFloat decide
			break
		}
		n = n*10 + d
	}
	if j == len(b) && j > i && n != math.MaxUint64 {
		v := int64(n)
		if neg {
			v = -v
		}
		if unit == Milliseconds {
			return tsFloorDiv(v, 1000), true
		}
		return v, true
	}
	for k := i; k < len(b); k++ {
		switch c := b[k]; {
		case c >= '0' && c <= '9', c == '.', c == 'e', c == 'E', c == '-', c == '+':
		default:
			return 0, false // not a number: "2022-09-12" and the like
		}
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return 0, false
	}
	if unit == Milliseconds {
		f /= 1000
	}
	f = math.Floor(f)
	// float64(MaxInt64) rounds up to 2^63, which does not fit.
	if f != f || f < math.MinInt64 || f >= math.MaxInt64 {
		return 0, false
	}
	return int64(f), true
}

// tsDateTime parses the fixed layout YYYY-MM-DD[T ]hh:mm:ss[.frac][zone]
// by hand and anything else through time.Parse.
func tsDateTime(b []byte) (int64, bool) {
	if sec, ok, sure := tsFixedDateTime(b); sure {
		return sec, ok
	}
	return tsOddDateTime(b)
}

// tsFixedDateTime handles the layout nearly every API sends. sure is
// false when b does not have that layout and time.Parse should try.
func tsFixedDateTime(b []byte) (sec int64, ok, sure bool) {
	// 0123456789012345678
	// 2022-09-12T08:00:03
	if len(b) < 19 || b[4] != '-' || b[7] != '-' || b[13] != ':' || b[16] != ':' {
		return 0, false, false
	}
	switch b[10] {
	case 'T', 't', ' ':
	default:
		return 0, false, false
	}
	year, ok1 := tsDigits(b[0:4])
	month, ok2 := tsDigits(b[5:7])
	day, ok3 := tsDigits(b[8:10])
	hour, ok4 := tsDigits(b[11:13])
	minute, ok5 := tsDigits(b[14:16])
	second, ok6 := tsDigits(b[17:19])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) {
		return 0, false, true
	}
	if month < 1 || month > 12 || day < 1 || day > tsDaysIn(year, month) ||
		hour > 23 || minute > 59 || second > 59 {
		return 0, false, true
	}
	rest := b[19:]
	if len(rest) > 0 && (rest[0] == '.' || rest[0] == ',') {
		k := 1
		for k < len(rest) && rest[k] >= '0' && rest[k] <= '9' {
			k++
		}
		if k == 1 {
			return 0, false, true
		}
		rest = rest[k:] // a fraction is >= 0, so flooring drops it
	}
	offset := int64(0)
	switch {
	case len(rest) == 0:
		// No zone: UTC.
	case len(rest) == 1 && (rest[0] == 'Z' || rest[0] == 'z'):
	case rest[0] == '+' || rest[0] == '-':
		var oh, om int64
		var good bool
		switch {
		case len(rest) == 6 && rest[3] == ':':
			var g1, g2 bool
			oh, g1 = tsDigits(rest[1:3])
			om, g2 = tsDigits(rest[4:6])
			good = g1 && g2
		case len(rest) == 5:
			var g1, g2 bool
			oh, g1 = tsDigits(rest[1:3])
			om, g2 = tsDigits(rest[3:5])
			good = g1 && g2
		case len(rest) == 3:
			oh, good = tsDigits(rest[1:3])
		}
		if !good || oh > 23 || om > 59 {
			return 0, false, true
		}
		offset = oh*3600 + om*60
		if rest[0] == '-' {
			offset = -offset
		}
	default:
		return 0, false, false
	}
	days := tsDaysFromCivil(year, month, day)
	return days*86400 + hour*3600 + minute*60 + second - offset, true, true
}

// tsOddLayouts are the ISO 8601 layouts that tsFixedDateTime leaves to
// time.Parse. A layout without a zone means UTC.
var tsOddLayouts = [...]string{
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04",
	"2006-01-02",
	"20060102T150405Z0700",
	"20060102T150405",
}

func tsOddDateTime(b []byte) (int64, bool) {
	if len(b) < 8 || len(b) > 40 {
		return 0, false
	}
	s := string(b)
	for _, layout := range tsOddLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.Unix(), true
		}
	}
	return 0, false
}

// tsDigits parses a run of ASCII digits.
func tsDigits(b []byte) (int64, bool) {
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

func tsIsLeap(y int64) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }

func tsDaysIn(y, m int64) int64 {
	switch m {
	case 2:
		if tsIsLeap(y) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// tsDaysFromCivil returns the days since 1970-01-01 of a proleptic Gregorian
// date (Howard Hinnant's algorithm, exact for every int64-sized year used
// here).
func tsDaysFromCivil(y, m, d int64) int64 {
	if m <= 2 {
		y--
	}
	era := tsFloorDiv(y, 400)
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

// tsFloorDiv divides rounding toward negative infinity.
func tsFloorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}
