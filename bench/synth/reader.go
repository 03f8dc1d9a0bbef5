package synth

import "io"

// chunkSize is how much a Reader renders at a time.
const chunkSize = 32 << 10

// Reader streams one body. It holds the templates and one chunk (a few
// tens of KiB) whatever the body's size. The zero value is not usable:
// call NewReader. A Reader is not safe for concurrent use.
type Reader struct {
	l   *layout
	ts  *timeSeq
	f   tsFormatter
	er  rng    // picks element templates and seq steps
	seq uint64 // seq of the last element, minus the layout's seqBase
	// seqText holds seqBase+seq in decimal, right-aligned from seqOff:
	// adding the step digit by digit beats formatting 16 digits anew.
	seqText [20]byte
	seqOff  int
	n       int64 // updates in the body
	i       int64 // updates rendered so far

	buf   []byte // rendered, buf[off:] not yet read
	off   int
	phase int // 0: head next, 1: elements, 2: all rendered
	total int64
}

// NewReader returns a Reader of the body o describes. The same Options
// always give the same bytes.
func NewReader(o Options) *Reader {
	r := &Reader{
		l:   newLayout(o),
		ts:  newTimeSeq(o),
		f:   tsFormatter{unix: o.UnixTimestamps},
		er:  rng{streamSeed(o.Resource, o.Seed, 4)},
		n:   o.updates(),
		buf: make([]byte, 0, chunkSize+4096),
	}
	d := appendUint(nil, r.l.seqBase)
	r.seqOff = copy(r.seqText[len(r.seqText)-len(d):], d)
	r.seqOff = len(r.seqText) - r.seqOff
	return r
}

// addSeq adds step to the decimal seqText.
func (r *Reader) addSeq(step uint64) {
	for i := len(r.seqText) - 1; step > 0; i-- {
		if i < r.seqOff {
			r.seqOff = i
			r.seqText[i] = '0'
		}
		d := uint64(r.seqText[i]-'0') + step
		r.seqText[i] = byte('0' + d%10)
		step = d / 10
	}
}

// Read implements io.Reader.
func (r *Reader) Read(p []byte) (int, error) {
	if r.off == len(r.buf) {
		if r.phase == 2 {
			return 0, io.EOF
		}
		r.fill()
	}
	n := copy(p, r.buf[r.off:])
	r.off += n
	r.total += int64(n)
	return n, nil
}

// WriteTo implements io.WriterTo, writing the rest of the body to w
// without an intermediate copy.
func (r *Reader) WriteTo(w io.Writer) (int64, error) {
	var written int64
	for {
		if r.off == len(r.buf) {
			if r.phase == 2 {
				return written, nil
			}
			r.fill()
		}
		n, err := w.Write(r.buf[r.off:])
		r.off += n
		r.total += int64(n)
		written += int64(n)
		if err != nil {
			return written, err
		}
	}
}

// Offset returns how many bytes of the body have been read so far.
func (r *Reader) Offset() int64 { return r.total }

// fill renders the next chunk: whole elements until chunkSize is reached.
func (r *Reader) fill() {
	b := r.buf[:0]
	if r.phase == 0 {
		b = append(b, r.l.head...)
		b = append(b, '[')
		if r.n == 0 {
			b = append(b, ']')
		}
		r.phase = 1
	}
	for r.i < r.n && len(b) < chunkSize {
		b = r.appendElem(b)
	}
	if r.i == r.n {
		if r.n > 0 {
			b = append(b, r.l.arrEnd...)
		}
		b = append(b, r.l.tail...)
		r.phase = 2
	}
	r.buf, r.off = b, 0
}

// appendElem renders update r.i with its leading separator.
func (r *Reader) appendElem(b []byte) []byte {
	if r.i == 0 {
		b = append(b, r.l.arrStart...)
	} else {
		b = append(b, r.l.arrSep...)
	}
	t, ts, step := r.draw()
	r.addSeq(step)
	b = append(b, t.pre...)
	if r.l.tsFirst {
		b = r.f.append(b, ts)
		b = append(b, t.mid...)
		b = append(b, r.seqText[r.seqOff:]...)
	} else {
		b = append(b, r.seqText[r.seqOff:]...)
		b = append(b, t.mid...)
		b = r.f.append(b, ts)
	}
	return append(b, t.post...)
}

// draw advances to the next update: its template, timestamp and seq step
// (r.seq is updated). Rendering and Size share it, so they cannot disagree.
func (r *Reader) draw() (*elemTmpl, int64, uint64) {
	t := &r.l.elems[r.er.next()%numTemplates]
	step := 1 + r.er.next()%4096
	r.seq += step
	r.i++
	return t, r.ts.next(), step
}

// Size returns the length in bytes of the body o describes, without
// rendering it: O(Updates) time (a few ns each), O(1) memory.
func (o Options) Size() int64 {
	r := NewReader(o)
	size := int64(len(r.l.head) + 1 + len(r.l.tail))
	if r.n == 0 {
		return size + 1 // "]"
	}
	size += int64(len(r.l.arrStart)) + (r.n-1)*int64(len(r.l.arrSep)) + int64(len(r.l.arrEnd))
	for r.i < r.n {
		t, ts, _ := r.draw()
		size += int64(len(t.pre)+len(t.mid)+len(t.post)) + uintLen(r.l.seqBase+r.seq)
		if o.UnixTimestamps {
			if ts < 0 {
				size += 1 + uintLen(uint64(-ts))
			} else {
				size += uintLen(uint64(ts))
			}
		} else {
			size += 2 + int64(len(r.f.text))
		}
	}
	return size
}

func uintLen(v uint64) int64 {
	n := int64(1)
	for v >= 10 {
		v /= 10
		n++
	}
	return n
}

// appendUint is strconv.AppendUint without the generic small-value paths.
func appendUint(b []byte, v uint64) []byte {
	var tmp [20]byte
	i := len(tmp)
	for v >= 10 {
		i--
		q := v / 10
		tmp[i] = byte('0' + v - q*10)
		v = q
	}
	i--
	tmp[i] = byte('0' + v)
	return append(b, tmp[i:]...)
}
