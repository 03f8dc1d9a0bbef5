package extract

import "encoding/binary"

// The fast paths of ParseTimestamp: a quoted RFC 3339 date-time with the
// fixed field positions RIPEstat uses (any fraction, any of the zones the
// general parser takes) and a plain integer. Both look at bytes in 8-byte
// words (SWAR): a byte XORed with '0' is a digit's value when it is 0 to
// 9, and one add per word finds every byte that is not. They only ever
// accept: whatever they do not take whole goes to the general parser,
// which then decides, so the acceptance is exactly the general parser's
// (FuzzParseTimestampMatchesReference holds them to it). On the common
// lengths neither loops over bytes, divides by a variable or calls a
// function.

const (
	tsLo    = 0x0101010101010101
	tsHi    = 0x8080808080808080
	tsZeros = '0' * tsLo
)

// tsNotDigits returns, for x a word of bytes XORed with '0', the high bit
// of every byte that was not an ASCII digit (is not 0 to 9 now). The add
// is on 7-bit bytes, so no byte carries into the next.
func tsNotDigits(x uint64) uint64 { return ((x&^tsHi + 0x76*tsLo) | x) & tsHi }

// ParseTimestamp turns one selected value into unix seconds. raw is a JSON
// token as EmitFunc receives it, or bare text (as a regex capture may be):
//
//   - a number: unix seconds, or milliseconds when unit is Milliseconds;
//     fractions are floored (-1.5 s is -2);
//   - a JSON string (quotes included, escapes decoded) or bare text holding
//     an ISO 8601 / RFC 3339 date-time: 2022-09-12T08:00:03 (no zone means
//     UTC, as RIPEstat sends it), with T, t or a space between date and time,
//     an optional fraction (floored) and an optional zone (Z, +02:00, +0200);
//     a few rarer ISO 8601 layouts (date only, no seconds, basic format) go
//     through time.Parse.
//
// Only instants in the years 0000 to 9999 (UTC) are timestamps, whatever
// the form: anything else (null, true, "n/a", objects, -99999999999999,
// 2^63-1, the year 10000) reports ok == false, so a wild value is counted
// invalid instead of making a bucket no calendar has. The common layouts
// are parsed by hand without allocating.
func ParseTimestamp(raw []byte, unit Unit) (int64, bool) {
	n := len(raw)
	if n < 21 || raw[0] != '"' || raw[n-1] != '"' {
		if n <= 18 {
			if sec, ok := tsInteger(raw, unit); ok {
				return sec, true
			}
		}
		return tsGeneral(raw, unit)
	}
	// The quoted fast path, here rather than in a function of its own
	// (a call less per value): a JSON string
	// "YYYY-MM-DD?hh:mm:ss[.frac][zone]" (raw with its quotes, at least 21
	// bytes), with ? one of T, t and space, the fraction a '.' or ',' and
	// one digit or more (floored away), and the zone none (UTC), Z, z,
	// ±hh:mm, ±hhmm or ±hh, valid fields and instants in the valid range.
	// Anything else goes to tsGeneral.
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
			if !tsIsSign(s) || nd&(0x80<<16|0x80<<24|0x80<<40|0x80<<48) != 0 {
				return tsGeneral(raw, unit)
			}
			zl, z = 7, x&(0xffff<<16|0xffff<<40)
		} else {
			switch {
			case nd&(0x80<<48) != 0: // no digit before the quote, and no Z
				return tsGeneral(raw, unit)
			case tsIsSign(byte(e >> 16)): // ±hhmm in bytes 2 to 6
				if nd&(0x80<<24|0x80<<32|0x80<<40) != 0 {
					return tsGeneral(raw, unit)
				}
				zl, s, z = 6, byte(e>>16), x>>8&(0xffff<<16)|x&(0xffff<<40)
			case tsIsSign(byte(e >> 32)): // ±hh in bytes 4 to 6
				if nd&(0x80<<40) != 0 {
					return tsGeneral(raw, unit)
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
				return tsGeneral(raw, unit)
			}
			f := raw[21:zs]
			for len(f) > 8 {
				if tsNotDigits(binary.LittleEndian.Uint64(f)^tsZeros) != 0 {
					return tsGeneral(raw, unit)
				}
				f = f[8:]
			}
			j := zs - 8
			if uint(j) > uint(n-8) { // never: it keeps the load unchecked
				return tsGeneral(raw, unit)
			}
			last := binary.LittleEndian.Uint64(raw[j:]) ^ tsZeros
			if tsNotDigits(last)>>(8*uint(8-len(f))&63) != 0 {
				return tsGeneral(raw, unit)
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
		return tsGeneral(raw, unit)
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
	if ((p0+lim0)|(p2+lim2)|(zq+lim2))&limM != 0 || d-1 >= uint(tsMonthLen[mo&15]) && !tsLeapDay(y, mo, d) {
		return tsGeneral(raw, unit)
	}
	// Hour*3600 + minute*60 lands in the top 24 bits of one product.
	sod := int64((p2&(0xff|0xff<<24))*(3600<<40|60<<16)>>40 + p2>>48&0xff)
	sec := tsDays(y, mo, d)*86400 + sod
	// Only a zone can push the years 0000 and 9999 out of the range.
	sec -= off
	if y-1 >= 9998 && uint64(sec-MinTimestamp) > MaxTimestamp-MinTimestamp {
		return tsGeneral(raw, unit)
	}
	return sec, true
}

func tsIsSign(c byte) bool { return c == '+' || c == '-' }

// tsMonthLen is the length of each month (index 1 to 12) in a common
// year, 0 for the other indexes.
var tsMonthLen = [16]uint8{0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}

// tsLeapDay reports whether y-mo-d is February 29th of a leap year, the
// one day past tsMonthLen that exists.
func tsLeapDay(y, mo, d uint) bool {
	return mo == 2 && d == 29 && y%4 == 0 && (y%100 != 0 || y%400 == 0)
}

// tsDays returns the days from 1970-01-01 to the valid date y-mo-d of the
// years 0000 to 9999: Howard Hinnant's days_from_civil, with years that
// start on March 1st (so that the leap day ends one) and 400 years added
// (a whole cycle of the calendar) so that the year before 0000 is no
// negative number; every division is by a constant.
func tsDays(y, mo, d uint) int64 {
	y += 399
	if mo > 2 {
		y++
	}
	c := y * 5243 >> 19 // y/100 for y < 43690
	days := 1461*y/4 - c + c/4 + uint(tsMarchDays[mo&15]) + d
	return int64(days) - tsDaysMarch400To1970
}

// tsMarchDays is the day of the March-based year on which each month
// (index 1 to 12) starts: (153*m+2)/5 for m months since March.
var tsMarchDays = [16]uint16{0, 306, 337, 0, 31, 61, 92, 122, 153, 184, 214, 245, 275}

// tsDaysMarch400To1970 is tsDays's count for 1970-01-01 before the
// subtraction: days from March 1st of the year -400, plus one.
const tsDaysMarch400To1970 = 865565 + 1

// tsInteger parses an optional minus and up to 18 digits (no overflow is
// possible) as seconds or milliseconds, within the valid range. It reports
// false for anything else, and the caller asks the general parser.
func tsInteger(b []byte, unit Unit) (int64, bool) {
	n := len(b)
	var v uint64
	var neg bool
	if n > 8 && n <= 16 {
		// The last 8 bytes in one word, the 1 to 8 before them in
		// another whose bytes past them are shifted out (and zeros, that
		// is leading zero digits, shifted in); a leading minus becomes a
		// zero digit.
		w := binary.LittleEndian.Uint64(b)
		neg = byte(w) == '-'
		var minus uint64
		if neg {
			minus = '-' ^ '0'
		}
		lo := binary.LittleEndian.Uint64(b[n-8:]) ^ tsZeros
		hi := (w ^ tsZeros ^ minus) << (8 * uint(16-n) & 63)
		if tsNotDigits(lo)|tsNotDigits(hi) != 0 {
			return 0, false
		}
		v = tsEightDigits(hi)*100_000_000 + tsEightDigits(lo)
	} else {
		if n == 0 || n > 18 {
			return 0, false
		}
		i := 0
		if neg = b[0] == '-'; neg {
			i = 1
			if n == 1 {
				return 0, false
			}
		}
		for ; i < n; i++ {
			d := uint64(b[i]) - '0'
			if d > 9 {
				return 0, false
			}
			v = v*10 + d
		}
	}
	// Floor: a negative count of milliseconds rounds away from zero.
	if unit == Milliseconds {
		if neg {
			v += 999
		}
		v /= 1000
	}
	sec := int64(v)
	if neg {
		sec = -sec
	}
	if uint64(sec-MinTimestamp) > MaxTimestamp-MinTimestamp {
		return 0, false
	}
	return sec, true
}

// tsEightDigits returns the number written by the 8 digit values in x,
// the first in the low byte (Lemire's multiply-shift: pairs, then
// quadruples, then the whole).
func tsEightDigits(x uint64) uint64 {
	x = x*10 + x>>8
	x = ((x & 0x00ff00ff00ff00ff) * (100<<16 + 1)) >> 16
	return ((x & 0x0000ffff0000ffff) * (10000<<32 + 1)) >> 32
}
