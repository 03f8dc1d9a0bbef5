//go:build !amd64 || purego

package extract

// haveAVX2 is false where block_amd64.s is not built: other architectures
// and the purego build tag.
const haveAVX2 = false

// blockMasksAVX2 is not called where haveAVX2 is false; it stands in for
// the assembly so that the scanner compiles everywhere.
func blockMasksAVX2(b *[64]byte) (quote, bslash, open, close uint64) { return blockMasksGo(b) }
