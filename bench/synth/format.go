package synth

import (
	"strconv"
	"time"
)

// isoLayout is how RIPEstat writes times: UTC, no zone, no fraction.
const isoLayout = "2006-01-02T15:04:05"

// tsFormatter appends timestamps, formatting each new second once; updates
// often share a second, and a new one costs a few integer divisions.
type tsFormatter struct {
	unix bool
	last int64
	text [19]byte
	ok   bool
}

func (f *tsFormatter) append(b []byte, ts int64) []byte {
	if f.unix {
		return strconv.AppendInt(b, ts, 10)
	}
	if !f.ok || ts != f.last {
		f.format(ts)
	}
	b = append(b, '"')
	b = append(b, f.text[:]...)
	return append(b, '"')
}

// format renders ts into f.text, by hand for years 0..9999 (Hinnant's
// days-to-civil), via package time otherwise (then clipped to 19 bytes).
func (f *tsFormatter) format(ts int64) {
	f.last, f.ok = ts, true
	days, secs := ts/86400, ts%86400
	if secs < 0 {
		days--
		secs += 86400
	}
	z := days + 719468
	era := z / 146097
	if z < 0 {
		era = (z - 146096) / 146097
	}
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y := yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d := doy - (153*mp+2)/5 + 1
	m := mp + 3
	if mp >= 10 {
		m = mp - 9
	}
	if m <= 2 {
		y++
	}
	if y < 0 || y > 9999 {
		copy(f.text[:], time.Unix(ts, 0).UTC().Format(isoLayout))
		return
	}
	t := &f.text
	put4(t[0:4], y)
	t[4] = '-'
	put2(t[5:7], m)
	t[7] = '-'
	put2(t[8:10], d)
	t[10] = 'T'
	put2(t[11:13], secs/3600)
	t[13] = ':'
	put2(t[14:16], secs/60%60)
	t[16] = ':'
	put2(t[17:19], secs%60)
}

func put2(b []byte, v int64) { b[0], b[1] = byte('0'+v/10), byte('0'+v%10) }
func put4(b []byte, v int64) { put2(b[0:2], v/100); put2(b[2:4], v%100) }
