// Command gen writes extract's AVX2 block classifier, block_amd64.s, and
// its Go declaration, block_amd64.go, with github.com/mmcloughlin/avo:
//
//	cd extract/_gen && go generate
//
// It is its own module so that the sluice module does not depend on avo;
// the generated files are committed.
package main

//go:generate go run . -out ../block_amd64.s -stubs ../block_amd64.go -pkg extract

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

func main() {
	ConstraintExpr("!purego")
	TEXT("blockMasksAVX2", NOSPLIT, "func(b *[64]byte) (quote, bslash, open, close uint64)")
	Doc("blockMasksAVX2 returns, for the 64 bytes at b, the bitmasks (bit i for",
		"b[i]) of the quotes, the backslashes, the opening brackets { and [, and",
		"the closing brackets } and ]. It needs AVX2.")
	p := Load(Param("b"), GP64())

	// Broadcast each byte to look for into a vector.
	bcast := func(c byte) VecVirtual {
		g := GP64()
		MOVQ(U64(uint64(c)), g)
		x := XMM()
		MOVQ(g, x)
		y := YMM()
		VPBROADCASTB(x, y)
		return y
	}
	quote, bslash, lower, open, close := bcast('"'), bcast('\\'), bcast(0x20), bcast('{'), bcast('}')

	var halves [2]VecVirtual
	for h := range halves {
		halves[h] = YMM()
		VMOVDQU(Mem{Base: p, Disp: 32 * h}, halves[h])
	}
	// mask compares each half with c (after OR-ing 0x20 if fold: '[' and
	// ']' become '{' and '}') and gathers the 64 results into one word.
	mask := func(c VecVirtual, fold bool, name string) {
		var words [2]GPVirtual
		for h, v := range halves {
			in := v
			if fold {
				f := YMM()
				VPOR(lower, v, f)
				in = f
			}
			eq := YMM()
			VPCMPEQB(c, in, eq)
			words[h] = GP64()
			VPMOVMSKB(eq, words[h].As32())
		}
		SHLQ(U8(32), words[1])
		ORQ(words[1], words[0])
		Store(words[0], Return(name))
	}
	mask(quote, false, "quote")
	mask(bslash, false, "bslash")
	mask(open, true, "open")
	mask(close, true, "close")
	VZEROUPPER()
	RET()
	Generate()
}
