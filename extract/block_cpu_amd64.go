//go:build !purego

package extract

import "golang.org/x/sys/cpu"

// haveAVX2 says whether blockMasksAVX2 (block_amd64.s) may run here. It
// is set once, before main, from the CPU's feature bits.
var haveAVX2 = cpu.X86.HasAVX2
