//go:build !purego

package extract

import (
	"unsafe"

	"golang.org/x/sys/cpu"
)

// haveAVX2 says whether indexBlocksAVX2 (block_amd64.s) may run here: it
// needs AVX2 and the carry-less multiply. It is set once, before main,
// from the CPU's feature bits.
var haveAVX2 = cpu.X86.HasAVX2 && cpu.X86.HasPCLMULQDQ

// bracketRun is bracketRunGo in assembly (bracketRunAMD64), which needs
// nothing beyond amd64's baseline. The index is fresh (brack has a word)
// and hi <= len(buf).
func bracketRun(brack []uint64, buf []byte, hi, w int, m uint64, lim int) (k int, ok bool) {
	return bracketRunAMD64(unsafe.SliceData(brack), len(brack), unsafe.SliceData(buf), hi, w, m, lim)
}
