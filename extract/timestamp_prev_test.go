package extract

// ParseTimestamp as it was before tsQuoted (commit 78f311a), kept so that
// BenchmarkParseTimestamp measures the new one against it in the same run
// (prev/…): the quoted fast path inside ParseTimestamp, failures to the
// general parser through a package variable.

import "encoding/binary"

// prevTsGeneral is the general parser with the range check, as
// ParseTimestamp's fallback was.
var prevTsGeneral = tsGeneral

// prevParseTimestamp is ParseTimestamp as it was.
func prevParseTimestamp(raw []byte, unit Unit) (int64, bool) {
	n := len(raw)
	if n < 21 || raw[0] != '"' || raw[n-1] != '"' {
		if n <= 18 {
			if sec, ok := tsInteger(raw, unit); ok {
				return sec, true
			}
		}
		return prevTsGeneral(raw, unit)
	}
	// The quoted fast path, here rather than in a function of its own
	// (a call less per value): a JSON string
	// "YYYY-MM-DD?hh:mm:ss[.frac][zone]" (raw with its quotes, at least 21
	// bytes), with ? one of T, t and space, the fraction a '.' or ',' and
	// one digit or more (floored away), and the zone none (UTC), Z, z,
	// ±hh:mm, ±hhmm or ±hh, valid fields and instants in the valid range.
	// Anything else goes to prevTsGeneral.
	b := (*[21]byte)(raw)
	// First what follows the seconds (nothing, in RIPEstat's bodies), so
	// that little is live across it: an optional fraction, then an
	// optional zone, east of UTC by off seconds.
	var off int64
	var zq uint64 // the zone's hours and minutes, laid out as in p2 below
	if n > 21 {
		// The zone is found from the end, in the last 8
		// bytes (e, the closing quote in byte 7), where each form has its
		// sign (or Z) at a fixed distance; the fraction has no sign, so
		// the first sign after the seconds, where the general parser's
		// zone starts, is the one found. The bytes a sign is looked for
		// in are never the date's '-' (n >= 22).
		e := binary.LittleEndian.Uint64(raw[n-8:])
		zl := 1 // bytes of zone and closing quote
		// z: the offset's digit values, hours in bytes 2 and 3, minutes
		// in bytes 5 and 6 (where ±hh:mm has them); s: its sign. Z and
		// ±hh:mm, the common zones, are told by one byte each and need
		// no more than the digits they hold checked.
		var z uint64
		var s byte
		if byte(e>>48)|0x20 == 'z' {
			zl = 2
		} else if x, nd := e^tsZeros, tsNotDigits(e^tsZeros); byte(e>>32) == ':' { // ±hh:mm in bytes 1 to 6
			s = byte(e >> 8)
			if !prevTsIsSign(s) || nd&(0x80<<16|0x80<<24|0x80<<40|0x80<<48) != 0 {
				return prevTsGeneral(raw, unit)
			}
			zl, z = 7, x&(0xffff<<16|0xffff<<40)
		} else {
			switch {
			case nd&(0x80<<48) != 0: // no digit before the quote, and no Z
				return prevTsGeneral(raw, unit)
			case prevTsIsSign(byte(e >> 16)): // ±hhmm in bytes 2 to 6
				if nd&(0x80<<24|0x80<<32|0x80<<40) != 0 {
					return prevTsGeneral(raw, unit)
				}
				zl, s, z = 6, byte(e>>16), x>>8&(0xffff<<16)|x&(0xffff<<40)
			case prevTsIsSign(byte(e >> 32)): // ±hh in bytes 4 to 6
				if nd&(0x80<<40) != 0 {
					return prevTsGeneral(raw, unit)
				}
				zl, s, z = 4, byte(e>>32), x>>24&(0xffff<<16)
			}
		}
		if z != 0 {
			// Hours to byte 0, minutes to byte 3, as the time's in p2
			// below, where the same limits are checked at once; then
			// hours*3600 + minutes*60 in the top 24 bits of one product.
			zq = (z*10 + z>>8) >> 16
			off = int64((zq & (0xff | 0xff<<24)) * (3600<<40 | 60<<16) >> 40)
			if s == '-' {
				off = -off
			}
		}
		// A fraction: '.' or ',' right after the seconds, then digits up
		// to the zone, 8 at a time; the last 1 to 8 are the top bytes of
		// the word that ends at the zone (and starts at 14 or later).
		if zs := n - zl; zs != 20 {
			if zs < 22 || zs > n || b[20] != '.' && b[20] != ',' {
				return prevTsGeneral(raw, unit)
			}
			f := raw[21:zs]
			for len(f) > 8 {
				if tsNotDigits(binary.LittleEndian.Uint64(f)^tsZeros) != 0 {
					return prevTsGeneral(raw, unit)
				}
				f = f[8:]
			}
			j := zs - 8
			if uint(j) > uint(n-8) { // never: it keeps the load unchecked
				return prevTsGeneral(raw, unit)
			}
			last := binary.LittleEndian.Uint64(raw[j:]) ^ tsZeros
			if tsNotDigits(last)>>(8*uint(8-len(f))&63) != 0 {
				return prevTsGeneral(raw, unit)
			}
		}
	}
	// Three words over the 19 bytes of date and time: YYYY-MM- , DDThh:mm
	// and hh:mm:ss (overlapping the second), each XORed with its template,
	// so that a digit becomes its value and a right separator 0. The
	// separator between date and time (T, t or space) is checked alone
	// and zeroed.
	const (
		tmpl0 = '0' | '0'<<8 | '0'<<16 | '0'<<24 | '-'<<32 | '0'<<40 | '0'<<48 | '-'<<56
		tmpl1 = '0' | '0'<<8 | 0<<16 | '0'<<24 | '0'<<32 | ':'<<40 | '0'<<48 | '0'<<56
		tmpl2 = '0' | '0'<<8 | ':'<<16 | '0'<<24 | '0'<<32 | ':'<<40 | '0'<<48 | '0'<<56
		// Added to a word, these set the high bit of a digit byte above 9
		// (+0x76) and of a separator byte above 0 (+0x7f).
		add0 = 0x7f76767f_76767676
		add1 = 0x76767f76_767f7676
		add2 = 0x76767f76_767f7676
	)
	t0 := binary.LittleEndian.Uint64(b[1:9]) ^ tmpl0
	t1 := binary.LittleEndian.Uint64(b[9:17])&^(0xff<<16) ^ tmpl1
	t2 := binary.LittleEndian.Uint64(b[12:20]) ^ tmpl2
	sep := b[11]
	bad := ((t0 + add0) | t0 | (t1 + add1) | t1 | (t2 + add2) | t2) & tsHi
	if bad != 0 || sep|0x20 != 't' && sep != ' ' {
		return prevTsGeneral(raw, unit)
	}
	// Each byte k now holds 10*digit(k)+digit(k+1), at most 99: no carry.
	// p2 has hour, minute and second in bytes 0, 3 and 6.
	p0, p2 := t0*10+t0>>8, t2*10+t2>>8
	y := uint(p0&0xff)*100 + uint(p0>>16&0xff)
	mo := uint(p0 >> 40 & 0xff)
	d := uint(byte(t1))*10 + uint(byte(t1>>8))
	// Month above 12, hour above 23, minute and second above 59 set the
	// high bit of their byte, all at once; month and day 0 fail the day
	// check.
	const (
		lim0 = (127 - 12) << 40
		lim2 = 127 - 23 | (127-59)<<24 | (127-59)<<48
		limM = 0x80 | 0x80<<24 | 0x80<<40 | 0x80<<48
	)
	if ((p0+lim0)|(p2+lim2)|(zq+lim2))&limM != 0 || d-1 >= uint(prevTsMonthLen[mo&15]) && !prevTsLeapDay(y, mo, d) {
		return prevTsGeneral(raw, unit)
	}
	// Hour*3600 + minute*60 lands in the top 24 bits of one product.
	sod := int64((p2&(0xff|0xff<<24))*(3600<<40|60<<16)>>40 + p2>>48&0xff)
	sec := prevTsDays(y, mo, d)*86400 + sod
	// Only a zone can push the years 0000 and 9999 out of the range.
	sec -= off
	if y-1 >= 9998 && uint64(sec-MinTimestamp) > MaxTimestamp-MinTimestamp {
		return prevTsGeneral(raw, unit)
	}
	return sec, true
}

func prevTsIsSign(c byte) bool { return c == '+' || c == '-' }

// prevTsMonthLen is the length of each month (index 1 to 12) in a common
// year, 0 for the other indexes.
var prevTsMonthLen = [16]uint8{0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}

// prevTsLeapDay reports whether y-mo-d is February 29th of a leap year, the
// one day past prevTsMonthLen that exists.
func prevTsLeapDay(y, mo, d uint) bool {
	return mo == 2 && d == 29 && y%4 == 0 && (y%100 != 0 || y%400 == 0)
}

// prevTsDays returns the days from 1970-01-01 to the valid date y-mo-d of the
// years 0000 to 9999: Howard Hinnant's days_from_civil, with years that
// start on March 1st (so that the leap day ends one) and 400 years added
// (a whole cycle of the calendar) so that the year before 0000 is no
// negative number; every division is by a constant.
func prevTsDays(y, mo, d uint) int64 {
	y += 399
	if mo > 2 {
		y++
	}
	c := y * 5243 >> 19 // y/100 for y < 43690
	days := 1461*y/4 - c + c/4 + uint(prevTsMarchDays[mo&15]) + d
	return int64(days) - prevTsDaysMarch400To1970
}

// prevTsMarchDays is the day of the March-based year on which each month
// (index 1 to 12) starts: (153*m+2)/5 for m months since March.
var prevTsMarchDays = [16]uint16{0, 306, 337, 0, 31, 61, 92, 122, 153, 184, 214, 245, 275}

// prevTsDaysMarch400To1970 is prevTsDays's count for 1970-01-01 before the
// subtraction: days from March 1st of the year -400, plus one.
const prevTsDaysMarch400To1970 = 865565 + 1
