package extract

import "time"

// A Tally aggregates selected timestamps: how many were valid, how many were
// not, the earliest and latest, and optionally counts per time bucket. Most
// callers set Unit and Bucket, pass Add as the body of an EmitFunc, and read
// the fields when Run returns.
//
// The zero value is ready to use: seconds, no per-bucket counts. A Tally is
// not safe for concurrent use.
type Tally struct {
	Unit   Unit          // unit of numeric timestamps
	Bucket time.Duration // width of the per-bucket counts; 0: none; below a second: per second

	Count   int64 // values that parsed as timestamps
	Invalid int64 // values that did not (null, true, "n/a", objects…); never dropped silently
	First   int64 // earliest valid value, unix seconds; meaningful iff Count > 0
	Last    int64 // latest valid value, unix seconds; meaningful iff Count > 0

	// Buckets maps the start of a bucket (unix seconds, aligned to the UTC
	// epoch, so 1h buckets start on the hour) to its count. Add creates it
	// when Bucket > 0.
	Buckets map[int64]int64
}

// Add counts one selected value (raw as EmitFunc receives it). It does not
// keep raw.
func (t *Tally) Add(raw []byte) {
	sec, ok := ParseTimestamp(raw, t.Unit)
	if !ok {
		t.Invalid++
		return
	}
	t.AddUnix(sec)
}

// AddUnix counts one valid timestamp given in unix seconds.
func (t *Tally) AddUnix(sec int64) {
	if t.Count == 0 || sec < t.First {
		t.First = sec
	}
	if t.Count == 0 || sec > t.Last {
		t.Last = sec
	}
	t.Count++
	if t.Bucket > 0 {
		w := int64(t.Bucket / time.Second)
		if w < 1 {
			w = 1
		}
		if t.Buckets == nil {
			t.Buckets = make(map[int64]int64)
		}
		t.Buckets[tsFloorDiv(sec, w)*w]++
	}
}

// Reset zeroes the counts for the next document and keeps Unit, Bucket and
// the Buckets map's storage.
func (t *Tally) Reset() {
	t.Count, t.Invalid, t.First, t.Last = 0, 0, 0, 0
	clear(t.Buckets)
}
