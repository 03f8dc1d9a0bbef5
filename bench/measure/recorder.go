package measure

import "github.com/sluicehq/sluice/extract"

// recorder keeps what a pass found: the number of values and copies of the
// first and last, in buffers reused from value to value so that recording
// allocates nothing after the first few values.
type recorder struct {
	count       int64
	first, last []byte
}

func (r *recorder) reset() { r.count, r.first, r.last = 0, r.first[:0], r.last[:0] }

func (r *recorder) add(raw []byte) {
	if r.count == 0 {
		r.first = append(r.first[:0], raw...)
	}
	r.last = append(r.last[:0], raw...)
	r.count++
}

func (r *recorder) addString(s string) {
	if r.count == 0 {
		r.first = append(r.first[:0], s...)
	}
	r.last = append(r.last[:0], s...)
	r.count++
}

// emit is an extract.EmitFunc.
func (r *recorder) emit(_ int, raw []byte) error {
	r.add(raw)
	return nil
}

// values turns the record into Values: the first and last as unix seconds
// (JSON tokens and bare text parse alike), nil when not a timestamp.
func (r *recorder) values() Values {
	v := Values{Count: r.count}
	if r.count > 0 {
		v.First = timestamp(r.first)
		v.Last = timestamp(r.last)
	}
	return v
}

func timestamp(raw []byte) *int64 {
	sec, ok := extract.ParseTimestamp(raw, extract.Seconds)
	if !ok {
		return nil
	}
	return &sec
}
