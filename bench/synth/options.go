package synth

import "time"

// DefaultStart is the start of the query window when Options leaves both
// Start and End zero; the window is then one day long.
func DefaultStart() time.Time { return time.Date(2022, 9, 12, 0, 0, 0, 0, time.UTC) }

// Options describes one body. The zero value is a valid, empty answer for
// the resource "" over the default day; most callers set Resource, Seed
// and Updates.
type Options struct {
	// Resource is the queried resource (an ASN like "AS3333", a prefix, an
	// IP). It seeds the body along with Seed and shapes it a little: a
	// prefix resource is the target of most updates, an ASN ends most paths.
	Resource string
	// Seed selects one of many bodies for the same resource.
	Seed uint64
	// Updates is the number of elements in data.updates (negative means 0).
	Updates int64
	// Start and End are the query window. Timestamps are whole seconds in
	// [Start, End), non-decreasing. Zero Start and End mean DefaultStart() and
	// one day later; only one zero means one day before End or after Start.
	// A window shorter than one second is widened to one second.
	Start, End time.Time
	// Pretty indents the body with two spaces per level, like a browser's
	// JSON viewer saves it.
	Pretty bool
	// UnixTimestamps writes element timestamps as integers (unix seconds),
	// as RIPEstat does for unix_timestamps=TRUE.
	UnixTimestamps bool
	// Status is the envelope's "status"; "" means "ok". "error" and
	// "maintenance" get status_code 500 and 503, anything else 200.
	Status string
}

// window returns the query window in unix seconds, [start, end), after
// applying the defaults; end > start always.
func (o Options) window() (start, end int64) {
	s, e := o.Start, o.End
	switch {
	case s.IsZero() && e.IsZero():
		s = DefaultStart()
		e = s.Add(24 * time.Hour)
	case s.IsZero():
		s = e.Add(-24 * time.Hour)
	case e.IsZero():
		e = s.Add(24 * time.Hour)
	}
	start, end = ceilSec(s), ceilSec(e)
	// Keep spans sane: at most ~68 years, so segment arithmetic stays in
	// 64 bits whatever Updates is.
	const maxSpan = 1 << 31
	if end-start > maxSpan {
		end = start + maxSpan
	}
	if end <= start {
		end = start + 1
	}
	return start, end
}

// ceilSec rounds t up to a whole unix second: integer timestamps t' with
// t' >= Start are those >= ceilSec(Start), and t' < End iff t' < ceilSec(End).
func ceilSec(t time.Time) int64 {
	s := t.Unix()
	if t.Nanosecond() > 0 {
		s++
	}
	return s
}

func (o Options) updates() int64 { return max(o.Updates, 0) }

func (o Options) status() string {
	if o.Status == "" {
		return "ok"
	}
	return o.Status
}

func (o Options) statusCode() int {
	switch o.status() {
	case "error":
		return 500
	case "maintenance":
		return 503
	}
	return 200
}

// Truth is what an extractor must find in a body: the number of update
// timestamps, the first and last (unix seconds, meaningful iff Count > 0)
// and the count per hour (key: unix second of the UTC hour start). Its
// PerHour map is never nil.
type Truth struct {
	Count, First, Last int64
	PerHour            map[int64]int64
}

// Truth computes the ground truth of the body o describes by running the
// timestamp sequence alone: it formats no text and takes O(Updates) time
// (tens of ns per update) and O(hours in the window) memory.
func (o Options) Truth() Truth {
	t := Truth{PerHour: make(map[int64]int64)}
	seq := newTimeSeq(o)
	n := o.updates()
	var hour, inHour int64 = 0, 0
	for i := int64(0); i < n; i++ {
		ts := seq.next()
		if i == 0 {
			t.First = ts
			hour = hourOf(ts)
		}
		if h := hourOf(ts); h != hour {
			t.PerHour[hour] += inHour
			hour, inHour = h, 0
		}
		inHour++
		t.Last = ts
	}
	if n > 0 {
		t.PerHour[hour] += inHour
	}
	t.Count = n
	return t
}

// hourOf returns the start of ts's UTC hour (floor, also for negative ts).
func hourOf(ts int64) int64 {
	h := ts / 3600 * 3600
	if h > ts {
		h -= 3600
	}
	return h
}

// avgUpdateSize is the mean length in bytes of one compact update element
// with its separator, measured over many seeds (see TestUpdatesForSize).
const avgUpdateSize = 200

// envelopeSize is roughly what the envelope around the updates adds.
const envelopeSize = 600

// UpdatesForSize returns about how many updates make a compact body of the
// given size in bytes (within a few percent for any seed). Pretty bodies
// are about twice as long for the same count.
func UpdatesForSize(bytes int64) int64 {
	if bytes <= envelopeSize {
		return 0
	}
	return (bytes - envelopeSize) / avgUpdateSize
}
