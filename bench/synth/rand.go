package synth

import (
	"hash/fnv"
	"math/bits"
)

// rng is wyrand: a tiny, fast 64-bit generator. It is enough for test data
// and, unlike math/rand, its sequence is fixed by this file forever.
type rng struct{ s uint64 }

func (r *rng) next() uint64 {
	r.s += 0xa0761d6478bd642f
	hi, lo := bits.Mul64(r.s, r.s^0xe7037ed1a0b428db)
	return hi ^ lo
}

// intn returns a value in [0, n); n must be > 0.
func (r *rng) intn(n int) int {
	hi, _ := bits.Mul64(r.next(), uint64(n))
	return int(hi)
}

// int63n is intn for a bound past 32 bits (so that 32-bit builds hold
// it); the same draw as intn where both apply.
func (r *rng) int63n(n int64) int64 {
	hi, _ := bits.Mul64(r.next(), uint64(n))
	return int64(hi)
}

// mix64 is splitmix64's finalizer, used to derive independent streams.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// streamSeed derives the seed of one named random stream of a body from
// its resource and seed, so that e.g. the timestamps do not change when
// the element templates do.
func streamSeed(resource string, seed uint64, stream uint64) uint64 {
	h := fnv.New64a()
	h.Write([]byte(resource))
	return mix64(h.Sum64() ^ mix64(seed+0x9e3779b97f4a7c15*stream))
}
