package extract

// The fast paths of ParseTimestamp as they were before timestamp_fast.go
// (commit 146ec7a), kept so that BenchmarkParseTimestamp measures the new
// ones against them in the same run (prev/…).

import "encoding/binary"

// prevParseTimestamp is ParseTimestamp as it was.
func prevParseTimestamp(raw []byte, unit Unit) (sec int64, ok bool) {
	if len(raw) == 21 && raw[0] == '"' && raw[20] == '"' {
		if sec, ok := prevTsRIPEStat((*[19]byte)(raw[1:20])); ok {
			return sec, true
		}
	} else if len(raw) > 0 && len(raw) <= 18 {
		if sec, ok := prevTsInteger(raw, unit); ok {
			return sec, true
		}
	}
	sec, ok = parseTimestamp(raw, unit)
	if !ok || sec < MinTimestamp || sec > MaxTimestamp {
		return 0, false
	}
	return sec, true
}

// prevTsRIPEStat parses YYYY-MM-DDThh:mm:ss (no zone: UTC). It reports false
// for anything else, including invalid dates; the caller then asks the
// general parser. A four-digit year is always within the valid range.
func prevTsRIPEStat(b *[19]byte) (int64, bool) {
	// Three little-endian words: YYYY-MM- , DDThh:mm and hh:mm:ss (the
	// last overlaps the second), each XORed with the layout's template:
	// a digit becomes its value (0 to 9), a right separator 0. One add
	// per word then finds any byte above 9, and one mask any separator
	// that is not 0.
	const (
		tmpl0                        = '0' | '0'<<8 | '0'<<16 | '0'<<24 | '-'<<32 | '0'<<40 | '0'<<48 | '-'<<56
		tmpl1                        = '0' | '0'<<8 | 'T'<<16 | '0'<<24 | '0'<<32 | ':'<<40 | '0'<<48 | '0'<<56
		tmpl2                        = '0' | '0'<<8 | ':'<<16 | '0'<<24 | '0'<<32 | ':'<<40 | '0'<<48 | '0'<<56
		sepMask0, sepMask1, sepMask2 = 0xff<<32 | 0xff<<56, 0xff<<16 | 0xff<<40, 0xff<<16 | 0xff<<40
	)
	t0 := binary.LittleEndian.Uint64(b[0:8]) ^ tmpl0
	t1 := binary.LittleEndian.Uint64(b[8:16]) ^ tmpl1
	t2 := binary.LittleEndian.Uint64(b[11:19]) ^ tmpl2
	// A byte above 9 sets its high bit in t+0x76 or in t; a carry out of
	// a byte only comes from one that is flagged already.
	over := ((t0 + 0x76*tsLo) | t0 | (t1 + 0x76*tsLo) | t1 | (t2 + 0x76*tsLo) | t2) & tsHi
	if over|t0&sepMask0|t1&sepMask1|t2&sepMask2 != 0 {
		return 0, false
	}
	// Each even byte k now holds 10*digit(k)+digit(k+1).
	p0, p1, p2 := t0*10+t0>>8, t1*10+t1>>8, t2*10+t2>>8
	y := uint(p0&0xff)*100 + uint(p0>>16&0xff)
	mo := uint(p0 >> 40 & 0xff)
	d := uint(p1 & 0xff)
	h := uint(p1 >> 24 & 0xff)
	mi := uint(p1 >> 48 & 0xff)
	se := uint(p2 >> 48 & 0xff)
	if mo-1 > 11 || d-1 > 27 && (d == 0 || d > uint(tsDaysIn(int64(y), int64(mo)))) || h > 23 || mi > 59 || se > 59 {
		return 0, false
	}
	// Days since 1970-01-01: from a table for the years near now, by
	// counting leap years from year 0 (leap in the proleptic calendar)
	// otherwise; then whole months, then days.
	var days int64
	if k := y - prevTsTableFirstYear; k < uint(len(prevTsYearStart)) {
		e := prevTsYearStart[k]
		days = int64(e>>1) + int64(prevTsMonthStart[mo]) + int64(d) - 1
		if e&1 != 0 && mo > 2 {
			days++
		}
	} else {
		days = prevTsDaysSince1970(y, mo, d)
	}
	return days*86400 + int64(h*3600+mi*60+se), true
}

// prevTsDaysSince1970 returns the days from 1970-01-01 to the date y-mo-d of
// the years 0000 to 9999.
func prevTsDaysSince1970(y, mo, d uint) int64 {
	leap := y%4 == 0 && (y%100 != 0 || y%400 == 0)
	days := 365*y + (y+3)/4 - (y+99)/100 + (y+399)/400 + uint(prevTsMonthStart[mo]) + d - 1
	if leap && mo > 2 {
		days++
	}
	return int64(days) - prevTsDaysYear0To1970
}

// prevTsYearStart holds, for the years prevTsTableFirstYear to +255, the day
// number (since 1970-01-01) of January 1st shifted left by one, with the
// low bit set in leap years.
const prevTsTableFirstYear = 1900

var prevTsYearStart = func() (t [256]int32) {
	for k := range t {
		y := uint(prevTsTableFirstYear + k)
		leap := y%4 == 0 && (y%100 != 0 || y%400 == 0)
		t[k] = int32(prevTsDaysSince1970(y, 1, 1)) << 1
		if leap {
			t[k] |= 1
		}
	}
	return t
}()

// prevTsMonthStart is the day of the year on which each month starts (index
// 1 to 12) in a common year.
var prevTsMonthStart = [13]uint16{0, 0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334}

// prevTsDaysYear0To1970 is the number of days from 0000-01-01 to 1970-01-01.
const prevTsDaysYear0To1970 = 719528

// prevTsInteger parses an optional minus and up to 18 digits (no overflow is
// possible) as seconds or milliseconds, within the valid range. It reports
// false for anything else, and the caller asks the general parser.
func prevTsInteger(b []byte, unit Unit) (int64, bool) {
	neg := b[0] == '-'
	i := 0
	if neg {
		i = 1
		if len(b) == 1 {
			return 0, false
		}
	}
	var n int64
	for ; i < len(b); i++ {
		d := uint(b[i]) - '0'
		if d > 9 {
			return 0, false
		}
		n = n*10 + int64(d)
	}
	if neg {
		n = -n
	}
	if unit == Milliseconds {
		n = tsFloorDiv(n, 1000)
	}
	if n < MinTimestamp || n > MaxTimestamp {
		return 0, false
	}
	return n, true
}
