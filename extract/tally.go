package extract

import (
	"errors"
	"fmt"
	"time"
)

// MaxBuckets caps the per-bucket counters of one Tally, window or not:
// 200,000 (23 days of seconds, 22 years of hours). It bounds the memory of
// a node before its body is read (8 bytes a counter with a window) and
// the batch-file line of its record (about 43 bytes a bucket, 8.6 MB at
// most), which store reads back whatever the writer wrote. A window
// holding more buckets than this is refused at start; without a window a
// body with more distinct buckets fails with ErrTooManyBuckets.
const MaxBuckets = 200_000

// ErrTooManyBuckets is the sticky error of a Tally (Tally.Err) whose
// values fall into more than MaxBuckets (or Tally.MaxBuckets) distinct
// buckets; it is wrapped with the figures.
var ErrTooManyBuckets = errors.New("too many distinct buckets")

// A Tally aggregates selected timestamps: how many were valid, how many were
// not, the earliest and latest, and optionally counts per time bucket. Most
// callers set Unit and Bucket, pass Add as the body of an EmitFunc, and read
// the fields when Run returns.
//
// Per-bucket counts take bounded memory either way. With a window (End >
// Start) they are a dense array of one counter per bucket of the window,
// allocated once before the first body (CheckWindow says whether a window
// fits under MaxBuckets), and a value outside the window is counted in
// Outside, never as a new bucket. Without one they are a map that may
// hold MaxBuckets distinct buckets (or Tally.MaxBuckets when lower); the
// value that would make one more sets Err and is counted nowhere else.
//
// The zero value is ready to use: seconds, no per-bucket counts. A Tally is
// not safe for concurrent use.
type Tally struct {
	Unit   Unit          // unit of numeric timestamps
	Bucket time.Duration // width of the per-bucket counts; 0: none; below a second: per second

	// Start and End (unix seconds) are the window of the per-bucket
	// counts; End <= Start means no window.
	Start, End int64
	// MaxBuckets lowers the cap on distinct buckets without a window;
	// zero or above MaxBuckets means MaxBuckets.
	MaxBuckets int

	Count   int64 // values that parsed as timestamps (Outside included)
	Invalid int64 // values that did not (null, true, "n/a", objects…); never dropped silently
	Outside int64 // valid values outside the window [Start, End); 0 without a window
	First   int64 // earliest valid value, unix seconds; meaningful iff Count > 0
	Last    int64 // latest valid value, unix seconds; meaningful iff Count > 0

	// Buckets maps the start of a bucket (unix seconds, aligned to the UTC
	// epoch, so 1h buckets start on the hour) to its count, without a
	// window. Add creates it when Bucket > 0. EachBucket reads either form.
	Buckets map[int64]int64

	dense []int64 // with a window: counter i is the bucket at base + i*width
	base  int64   // start of dense[0]
	err   error   // sticky: ErrTooManyBuckets
}

// width is the bucket width in seconds, 0 without per-bucket counts.
func (t *Tally) width() int64 {
	if t.Bucket <= 0 {
		return 0
	}
	return max(int64(t.Bucket/time.Second), 1)
}

// CheckWindow reports whether a window [start, end) cut into buckets of
// width fits under MaxBuckets, naming the figures if not. Callers check it
// at start, before any body is read.
func CheckWindow(start, end time.Time, width time.Duration) error {
	if width <= 0 || !end.After(start) {
		return nil
	}
	w := max(width, time.Second)
	n := (end.Sub(start) + w - 1) / w
	if n > MaxBuckets {
		return fmt.Errorf("extract: window %s to %s in buckets of %v is %d buckets per node, over the cap of %d (use a wider bucket or a shorter window)",
			start.UTC().Format(time.RFC3339), end.UTC().Format(time.RFC3339), width, n, MaxBuckets)
	}
	return nil
}

// Add counts one selected value (raw as EmitFunc receives it). It does not
// keep raw. Per value it calls the parser and, only with per-bucket
// counts, addBucket: the rest is inline.
func (t *Tally) Add(raw []byte) {
	sec, ok := ParseTimestamp(raw, t.Unit)
	if !ok {
		t.Invalid++
		return
	}
	t.note(sec)
	if t.Bucket > 0 {
		t.addBucket(sec)
	}
}

// AddUnix counts one valid timestamp given in unix seconds.
func (t *Tally) AddUnix(sec int64) {
	t.note(sec)
	if t.Bucket > 0 {
		t.addBucket(sec)
	}
}

// note counts sec in Count, First and Last; small enough to be inlined.
func (t *Tally) note(sec int64) {
	if t.Count == 0 {
		t.First, t.Last = sec, sec
	}
	t.First, t.Last = min(t.First, sec), max(t.Last, sec)
	t.Count++
}

// addBucket counts the valid sec in its bucket (t.Bucket > 0): with a
// window in the dense array, else in the map.
func (t *Tally) addBucket(sec int64) {
	w := t.width()
	if t.End > t.Start {
		if t.dense == nil {
			t.base = tsFloorDiv(t.Start, w) * w
			n := min((t.End-t.base+w-1)/w, MaxBuckets) // CheckWindow refused more
			t.dense = make([]int64, n)
		}
		if sec < t.Start || sec >= t.End {
			t.Outside++
			return
		}
		if i := (sec - t.base) / w; i < int64(len(t.dense)) {
			t.dense[i]++
			return
		}
		t.Outside++ // past the capped array
		return
	}
	if t.Buckets == nil {
		t.Buckets = make(map[int64]int64)
	}
	k := tsFloorDiv(sec, w) * w
	if _, ok := t.Buckets[k]; !ok {
		limit := MaxBuckets
		if t.MaxBuckets > 0 && t.MaxBuckets < limit {
			limit = t.MaxBuckets
		}
		if len(t.Buckets) >= limit {
			if t.err == nil {
				t.err = fmt.Errorf("extract: %w: more than %d buckets of %v (first at unix %d)", ErrTooManyBuckets, limit, t.Bucket, sec)
			}
			return
		}
	}
	t.Buckets[k]++
}

// Err returns the first error of the counts since Reset: one wrapping
// ErrTooManyBuckets, or nil.
func (t *Tally) Err() error { return t.err }

// EachBucket calls fn for every bucket with a non-zero count, in either
// form; with a window in time order.
func (t *Tally) EachBucket(fn func(start, count int64)) {
	w := t.width()
	for i, n := range t.dense {
		if n > 0 {
			fn(t.base+int64(i)*w, n)
		}
	}
	for k, n := range t.Buckets {
		if n > 0 {
			fn(k, n)
		}
	}
}

// NumBuckets returns the number of buckets with a non-zero count.
func (t *Tally) NumBuckets() int {
	n := 0
	t.EachBucket(func(int64, int64) { n++ })
	return n
}

// Reset zeroes the counts for the next document and keeps Unit, Bucket,
// the window and the storage of the counters.
func (t *Tally) Reset() {
	t.Count, t.Invalid, t.Outside, t.First, t.Last, t.err = 0, 0, 0, 0, 0, nil
	clear(t.Buckets)
	clear(t.dense)
}
