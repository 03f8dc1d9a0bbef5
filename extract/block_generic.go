//go:build !amd64 || purego

package extract

// haveAVX2 is false where block_amd64.s is not built: other architectures
// and the purego build tag.
const haveAVX2 = false

// indexBlocksAVX2 is not called where haveAVX2 is false; it stands in for
// the assembly so that the scanner compiles everywhere.
func indexBlocksAVX2(p *byte, n int, quotes, brackets, odd *uint64, state *[3]uint64) int {
	panic("extract: indexBlocksAVX2 without AVX2")
}

// bracketRun is bracketRunGo where block_amd64.s is not built.
func bracketRun(brack []uint64, buf []byte, hi, w int, m uint64, lim int) (k int, ok bool) {
	return bracketRunGo(brack, buf, hi, w, m, lim)
}
