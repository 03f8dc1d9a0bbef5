package synth

import "math/bits"

// timeSeq yields the timestamps of a body's updates in order. The window
// is cut into segments; segment k gets the updates with index in
// [C(k), C(k+1)) where C(k) = n·cum[k]/total (128-bit, exact), and update j
// of the n_k in a segment of length D lands at offset (j·D + u·D)/n_k with u
// a random fraction: strictly inside its own stratum, hence non-decreasing
// and inside [segStart, segStart+D).
type timeSeq struct {
	start, end int64    // window, unix s, [start, end)
	segLen     int64    // nominal segment length, s
	cum        []uint64 // cum[k] = sum of weights of segments < k; len = segments+1
	n          uint64   // total updates
	r          rng

	k        int    // current segment
	j, nk    uint64 // index in the segment, updates in it
	segStart int64
	segDur   uint64
}

// maxSegments bounds the weight table, keeping a Reader's memory O(1).
const maxSegments = 4096

func newTimeSeq(o Options) *timeSeq {
	start, end := o.window()
	span := end - start
	segLen := int64(600)
	if span/segLen >= maxSegments {
		segLen = (span + maxSegments - 1) / maxSegments
	}
	nseg := int((span + segLen - 1) / segLen)
	s := &timeSeq{start: start, end: end, segLen: segLen, n: uint64(o.updates()),
		cum: make([]uint64, nseg+1), k: -1}
	w := rng{streamSeed(o.Resource, o.Seed, 1)}
	for k := 0; k < nseg; k++ {
		// Heavy-tailed weights: mostly 1..64, one in ten quiet, one in
		// twenty a burst up to 64x.
		var wt uint64
		switch x := w.intn(100); {
		case x < 10:
			wt = 0
		case x < 15:
			wt = 64 * uint64(1+w.intn(64))
		default:
			wt = uint64(1 + w.intn(64))
		}
		s.cum[k+1] = s.cum[k] + wt
	}
	if s.cum[nseg] == 0 { // all quiet: spread evenly
		for k := range nseg {
			s.cum[k+1] = uint64(k + 1)
		}
	}
	s.r = rng{streamSeed(o.Resource, o.Seed, 2)}
	return s
}

// bound returns C(k), the index of the first update of segment k.
func (s *timeSeq) bound(k int) uint64 {
	hi, lo := bits.Mul64(s.n, s.cum[k])
	q, _ := bits.Div64(hi, lo, s.cum[len(s.cum)-1])
	return q
}

// next returns the next timestamp; the caller calls it at most n times.
func (s *timeSeq) next() int64 {
	for s.j >= s.nk {
		s.k++
		s.j = 0
		s.nk = s.bound(s.k+1) - s.bound(s.k)
		s.segStart = s.start + int64(s.k)*s.segLen
		s.segDur = uint64(min(s.segLen, s.end-s.segStart))
	}
	u := s.r.next() >> 32
	off := (s.j*s.segDur + (u*s.segDur)>>32) / s.nk
	s.j++
	return s.segStart + int64(off)
}
