package extract

import "encoding/binary"

// The fast paths of ParseTimestamp: tsQuoted, a quoted RFC 3339 date-time
// with the fixed field positions RIPEstat uses (any fraction, any of the
// zones the general parser takes), and tsInteger, a plain integer. Both
// look at bytes in 8-byte words (SWAR): a byte XORed with '0' (or with a
// template of the layout) is a digit's value when it is 0 to 9, and one
// add per word finds every byte that is not. They only ever accept:
// whatever they do not take whole goes to the general parser, which then
// decides, so the acceptance is exactly the general parser's
// (FuzzParseTimestampMatchesReference holds them to it). On the common
// lengths neither loops over bytes, divides by a variable or calls a
// function; each is its own function so that a test can call it and see
// it take what it is for.

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
	if len(raw) <= 18 {
		if sec, ok := tsInteger(raw, unit); ok {
			return sec, true
		}
	} else if sec, ok := tsQuoted(raw); ok {
		return sec, true
	}
	return tsGeneral(raw, unit)
}

// tsQuoted parses a JSON string "YYYY-MM-DD?hh:mm:ss[.frac][zone]" (raw
// with its quotes, at least 21 bytes), with ? one of T, t and space, the
// fraction a '.' or ',' and one digit or more (floored away), and the zone
// none (UTC), Z, z, ±hh:mm, ±hhmm or ±hh, valid fields and instants in the
// valid range. It reports false for anything else, and ParseTimestamp asks
// the general parser. It calls nothing, so it needs no stack frame, and
// the tests can see it take what it is for.
func tsQuoted(raw []byte) (int64, bool) {
	n := len(raw)
	if n < 21 || raw[0] != '"' || raw[n-1] != '"' {
		return 0, false
	}
	b := (*[21]byte)(raw)
	// First what follows the seconds (nothing, in RIPEstat's bodies, or
	// Z alone, told at once): an optional fraction, then an optional
	// zone, east of UTC by off seconds. tail flags, in the high bit of a
	// byte, a byte of them that is no digit where one must be; it is
	// tested with the date and time.
	var off int64
	var zq, tail uint64 // zq: the zone's hours and minutes, laid out as in p2 below
	if n > 21 && (n != 22 || b[20]|0x20 != 'z') {
		// The zone is found from the end, in the last 8 bytes (x, the
		// closing quote in byte 7), where each form has its sign (or Z)
		// at a fixed distance; the fraction has no sign, so the first
		// sign after the seconds, where the general parser's zone
		// starts, is the one found. The bytes a sign is looked for in are
		// never the date's '-' (n >= 22).
		// XORed with '0', a digit is its value; nd flags the bytes that
		// are not digits (the add may carry out of a byte, but only out
		// of one that is flagged already). Each form's digits go to
		// hours in bytes 2 and 3, minutes in bytes 5 and 6 (where ±hh:mm
		// has them). ±hh:mm, the commonest zone with a sign, is told
		// first, by its ':'.
		zs := n - 1          // where the zone starts
		if raw[n-4] == ':' { // ±hh:mm in bytes 1 to 6
			sg := raw[n-7] - '+'
			if sg&^2 != 0 {
				return 0, false
			}
			x := binary.LittleEndian.Uint64(raw[n-8:]) ^ tsZeros
			nd := ((x + 0x76*tsLo) | x) & tsHi
			zs, tail = n-7, nd&(0x80<<16|0x80<<24|0x80<<40|0x80<<48)
			zq, off = tsZone(x&(0xffff<<16|0xffff<<40), sg)
		} else if raw[n-2]|0x20 == 'z' {
			zs = n - 2
		} else {
			x := binary.LittleEndian.Uint64(raw[n-8:]) ^ tsZeros
			nd := ((x + 0x76*tsLo) | x) & tsHi
			switch {
			case nd&(0x80<<48) != 0: // no digit before the quote, and no Z
				return 0, false
			case tsIsSign(raw[n-6]): // ±hhmm in bytes 2 to 6
				zs, tail = n-6, nd&(0x80<<24|0x80<<32|0x80<<40)
				zq, off = tsZone(x>>8&(0xffff<<16)|x&(0xffff<<40), raw[n-6]-'+')
			case tsIsSign(raw[n-4]): // ±hh in bytes 4 to 6
				zs, tail = n-4, nd&(0x80<<40)
				zq, off = tsZone(x>>24&(0xffff<<16), raw[n-4]-'+')
			}
		}
		// A fraction: '.' or ',' right after the seconds, then l digits up
		// to the zone. 1 to 7 of them are checked with the separator in
		// the word that ends at the zone, against a template for l; more,
		// 8 at a time from the front, the last 8 in the word that ends at
		// the zone.
		if zs != 20 {
			if zs < 22 || zs > n {
				return 0, false
			}
			w := binary.LittleEndian.Uint64(raw[zs-8 : zs])
			if l := uint(zs - 21); l < 8 {
				f := &tsFracs[l]
				v := (w | f.or) ^ f.tmpl
				tail |= (v + f.add) | v
			} else {
				if b[20]|2 != '.' { // '.' and ',' are 2 apart
					return 0, false
				}
				// As nd above: tail's high bits are all that is tested.
				x := w ^ tsZeros
				tail |= (x + 0x76*tsLo) | x
				for f := raw[21:zs]; len(f) > 8; f = f[8:] {
					x := binary.LittleEndian.Uint64(f) ^ tsZeros
					tail |= (x + 0x76*tsLo) | x
				}
			}
		}
	}
	// Three words over the 19 bytes of date and time: YYYY-MM- , DD and
	// hh:mm:ss, each XORed with its template, so that a digit becomes its
	// value and a right separator 0. The separator between date and time
	// (T, t or space) is looked up alone.
	const (
		tmpl0 = '0' | '0'<<8 | '0'<<16 | '0'<<24 | '-'<<32 | '0'<<40 | '0'<<48 | '-'<<56
		tmpl2 = '0' | '0'<<8 | ':'<<16 | '0'<<24 | '0'<<32 | ':'<<40 | '0'<<48 | '0'<<56
		// Added to a word, these set the high bit of a digit byte above 9
		// (+0x76) and of a separator byte above 0 (+0x7f). A carry out of
		// a byte only comes from one that is flagged already.
		add0 = 0x7f76767f_76767676
		add2 = 0x76767f76_767f7676
	)
	t0 := binary.LittleEndian.Uint64(b[1:9]) ^ tmpl0
	t1 := uint64(binary.LittleEndian.Uint16(b[9:11])) ^ '0'*0x0101
	t2 := binary.LittleEndian.Uint64(b[12:20]) ^ tmpl2
	bad := ((t0 + add0) | t0 | (t1 + 0x7676) | t1 | (t2 + add2) | t2 | tail) & tsHi
	if bad != 0 || !tsDateTimeSep[b[11]] {
		return 0, false
	}
	// Each byte k now holds 10*digit(k)+digit(k+1), at most 99: no carry.
	// p0 has the century, the year in it and the month in bytes 0, 2 and
	// 5; p2 hour, minute and second in bytes 0, 3 and 6.
	p0, p2 := t0*10+t0>>8, t2*10+t2>>8
	d := uint(t1*(1+10<<8)>>8) & 0xff
	// Month above 12, hour above 23, minute and second above 59 set the
	// high bit of their byte, all at once (and the zone's hour and minute
	// in zq); month and day 0 fail tsDays.
	const (
		lim0 = (127 - 12) << 40
		lim2 = 127 - 23 | (127-59)<<24 | (127-59)<<48
		limM = 0x80 | 0x80<<24 | 0x80<<40 | 0x80<<48
	)
	if ((p0+lim0)|(p2+lim2)|(zq+lim2))&limM != 0 {
		return 0, false
	}
	hi := uint(p0 & 0xff)
	days, ok := tsDays(hi, uint(p0>>16&0xff), uint(p0>>38)&(15<<2), d)
	if !ok {
		return 0, false
	}
	// Hour*3600 + minute*60 lands in the top 24 bits of one product.
	sod := int64((p2&(0xff|0xff<<24))*(3600<<40|60<<16)>>40 + p2>>48&0xff)
	sec := days*86400 + sod - off
	// Only a zone can push the years 0000 and 9999 out of the range.
	if hi-1 >= 98 && uint64(sec-MinTimestamp) > MaxTimestamp-MinTimestamp {
		return 0, false
	}
	return sec, true
}

// tsZone returns, for z the digit values of a zone's hours in bytes 2 and
// 3 and minutes in bytes 5 and 6, and sg its sign less '+' (0 or 2), the
// hours and minutes in bytes 0 and 3, as tsQuoted's p2 has the time's,
// and the offset east of UTC in seconds.
func tsZone(z uint64, sg byte) (zq uint64, off int64) {
	// Hours*3600 + minutes*60 in the top 24 bits of one product.
	zq = (z*10 + z>>8) >> 16
	off = int64((zq & (0xff | 0xff<<24)) * (3600<<40 | 60<<16) >> 40)
	if sg != 0 {
		off = -off
	}
	return zq, off
}

// tsFrac is the template of the 8 bytes that end with a fraction of 1 to 7
// digits after the seconds, for the SWAR test in tsQuoted: ORed with or
// (',' becomes '.') and XORed with tmpl, a right byte is 0 to 9 (a digit)
// or 0 (a separator), and add sets the high bit of any other.
type tsFrac struct{ or, tmpl, add uint64 }

// tsFracs[l] is the template for l digits (1 to 7); the word starts at
// byte 13+l of the quoted string, where hh:mm:ss starts at 12.
var tsFracs = func() (t [8]tsFrac) {
	for l := 1; l <= 7; l++ {
		for j := range 8 {
			var or, tmpl, add byte = 0, '0', 0x76 // a digit
			switch p := 13 + l + j; p {
			case 14, 17:
				tmpl, add = ':', 0x7f
			case 20:
				or, tmpl, add = 2, '.', 0x7f
			}
			t[l].or |= uint64(or) << (8 * j)
			t[l].tmpl |= uint64(tmpl) << (8 * j)
			t[l].add |= uint64(add) << (8 * j)
		}
	}
	return t
}()

// tsDateTimeSep holds the separators between date and time: T, t and
// space.
var tsDateTimeSep = [256]bool{'T': true, 't': true, ' ': true}

// tsIsSign reports whether c is '+' or '-' (2 apart: c-'+' is 0 or 2 for
// them only).
func tsIsSign(c byte) bool { return (c-'+')&^2 == 0 }

// tsDays returns the days from 1970-01-01 to the date in century hi (the
// year's first two digits), year lo of it, month m4/4 (m4 a multiple of 4
// below 64) and day d, and whether that date exists. Every division is by a power of two: with the year as
// 100*hi + lo, the leap years up to it are 24*hi + hi/4 + lo/4 (and year
// 0000), and 365 days a year plus them is 146097*hi/4 + 1461*lo/4; the
// year is leap when lo (or, for lo == 0, hi) is a multiple of 4, and
// tsMonths, indexed by month and that remainder, takes out January's and
// February's share of a leap year's extra day.
func tsDays(hi, lo, m4, d uint) (int64, bool) {
	r := lo
	if r == 0 {
		r = hi
	}
	i := m4 | r&3
	if d-1 >= uint(tsMonthLen[i]) {
		return 0, false
	}
	return int64((146097*hi)>>2+(1461*lo)>>2+d+uint(tsMonthStart[i])) - tsDaysTo1970, true
}

// tsMonthLen[mo<<2|r] is the length of month mo (1 to 12; the other
// months have none) of a year that is leap when r is 0, and
// tsMonthStart the days before it in the year, plus one, less the leap
// day that tsDays counts in the year's share but is still to come in
// January and February.
var tsMonthLen, tsMonthStart = func() (ln [64]uint8, st [64]uint16) {
	before := [13]uint16{0, 0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334}
	days := [13]uint8{0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}
	for mo := 1; mo <= 12; mo++ {
		for r := range 4 {
			i := mo<<2 | r
			ln[i], st[i] = days[mo], before[mo]+1
			if r == 0 && mo <= 2 {
				st[i]--
			}
			if r == 0 && mo == 2 {
				ln[i] = 29
			}
		}
	}
	return ln, st
}()

// tsDaysTo1970 is tsDays's count for 1970-01-01 before the subtraction:
// the days from 0000-01-01, plus the one of tsMonthStart.
const tsDaysTo1970 = 719528 + 1

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
