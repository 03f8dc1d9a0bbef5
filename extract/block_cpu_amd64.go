//go:build !purego

package extract

import "golang.org/x/sys/cpu"

// haveAVX2 says whether indexBlocksAVX2 (block_amd64.s) may run here: it
// needs AVX2 and the carry-less multiply. It is set once, before main,
// from the CPU's feature bits.
var haveAVX2 = cpu.X86.HasAVX2 && cpu.X86.HasPCLMULQDQ
