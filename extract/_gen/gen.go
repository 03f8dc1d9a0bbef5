// Command gen writes extract's AVX2 structural indexer, block_amd64.s, and
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
	TEXT("indexBlocksAVX2", NOSPLIT, "func(p *byte, n int, quotes, brackets, odd *uint64, state *[3]uint64) int")
	Doc("indexBlocksAVX2 indexes the n 64-byte blocks at p: for block k it writes",
		"quotes[k], the quotes that no backslash escapes, and brackets[k], the",
		"brackets { } [ ] outside strings (bit i for byte i of the block), and",
		"odd[k], the backslashes, control characters and non-ASCII bytes.",
		"state holds what one block hands the next: state[0] is all ones if a",
		"string is open, state[1] is 1 if the next byte is escaped. It stops",
		"at the first block with a backslash outside a string, whose words it",
		"still writes, puts that backslash's mask in state[2] and returns the",
		"block's number; otherwise it returns n. It needs AVX2 and PCLMULQDQ.")
	Pragma("noescape")
	p := Load(Param("p"), GP64())
	nParam, err := Param("n").Resolve()
	if err != nil {
		panic(err)
	}
	nAddr := nParam.Addr
	qp := Load(Param("quotes"), GP64())
	bp := Load(Param("brackets"), GP64())
	op := Load(Param("odd"), GP64())
	sp := Load(Param("state"), GP64())

	bcast := func(c byte) VecVirtual {
		g := GP64()
		MOVQ(U64(uint64(c)), g)
		x := XMM()
		VMOVQ(g, x)
		y := YMM()
		VPBROADCASTB(x, y)
		return y
	}
	vQuote, vBslash, vLower, vOpen, vClose := bcast('"'), bcast('\\'), bcast(0x20), bcast('{'), bcast('}')
	ones := XMM()
	VPCMPEQB(ones, ones, ones) // all ones: carry-less multiplying by it is a prefix XOR

	inStr, escNext := GP64(), GP64()
	MOVQ(Mem{Base: sp}, inStr)
	MOVQ(Mem{Base: sp, Disp: 8}, escNext)
	k := GP64()
	XORQ(k, k)

	Label("loop")
	CMPQ(k, nAddr)
	JAE(LabelRef("done"))
	lo, hi := YMM(), YMM()
	VMOVDQU(Mem{Base: p}, lo)
	VMOVDQU(Mem{Base: p, Disp: 32}, hi)
	// mask gathers the 64 results of compare into one word.
	mask := func(compare func(v, out VecVirtual)) GPVirtual {
		var w [2]GPVirtual
		for h, v := range []VecVirtual{lo, hi} {
			t := YMM()
			compare(v, t)
			w[h] = GP64()
			VPMOVMSKB(t, w[h].As32())
		}
		SHLQ(U8(32), w[1])
		ORQ(w[1], w[0])
		return w[0]
	}
	quote := mask(func(v, t VecVirtual) { VPCMPEQB(vQuote, v, t) })
	bslash := mask(func(v, t VecVirtual) { VPCMPEQB(vBslash, v, t) })
	odd := mask(func(v, t VecVirtual) {
		VPCMPGTB(v, vLower, t) // 0x20 > v as signed bytes: below 0x20, or 0x80 and above
	})
	ORQ(bslash, odd)
	MOVQ(odd, Mem{Base: op, Index: k, Scale: 8})

	// Escaped bytes: the byte after each odd-length run of backslashes
	// (escapedChars in stream_blocks.go, which says how).
	escaped := GP64()
	MOVQ(escNext, escaped)
	t := GP64()
	MOVQ(bslash, t)
	ORQ(escNext, t)
	JZ(LabelRef("noescape"))
	{
		b := GP64()
		MOVQ(escNext, b)
		NOTQ(b)
		ANDQ(bslash, b) // an escaped backslash starts no run
		starts := GP64()
		MOVQ(b, starts)
		SHLQ(U8(1), starts)
		NOTQ(starts)
		ANDQ(b, starts)
		evenStarts, oddStarts := GP64(), GP64()
		MOVQ(U64(0x5555555555555555), evenStarts)
		ANDQ(starts, evenStarts)
		MOVQ(U64(0xaaaaaaaaaaaaaaaa), oddStarts)
		ANDQ(starts, oddStarts)
		ADDQ(b, evenStarts) // even carries
		ADDQ(b, oddStarts)  // odd carries, and the carry out
		SETCS(escNext.As8())
		MOVBQZX(escNext.As8(), escNext)
		NOTQ(b)
		ANDQ(b, evenStarts)
		ANDQ(b, oddStarts)
		MOVQ(U64(0xaaaaaaaaaaaaaaaa), b)
		ANDQ(b, evenStarts) // even ends: odd-length runs
		MOVQ(U64(0x5555555555555555), b)
		ANDQ(b, oddStarts) // odd ends
		ORQ(evenStarts, escaped)
		ORQ(oddStarts, escaped)
	}
	Label("noescape")
	NOTQ(escaped)
	ANDQ(escaped, quote)

	brackets := mask(func(v, t VecVirtual) {
		f, o := YMM(), YMM()
		VPOR(vLower, v, f) // '[' and ']' become '{' and '}'
		VPCMPEQB(vOpen, f, o)
		VPCMPEQB(vClose, f, t)
		VPOR(o, t, t)
	})

	// In-string mask: prefix XOR of the quotes, by carry-less multiply.
	x := XMM()
	VMOVQ(quote, x)
	VPCLMULQDQ(U8(0), ones, x, x)
	in := GP64()
	VMOVQ(x, in)
	XORQ(inStr, in)
	out := GP64()
	MOVQ(in, out)
	NOTQ(out)
	ANDQ(out, brackets)
	MOVQ(quote, Mem{Base: qp, Index: k, Scale: 8})
	MOVQ(brackets, Mem{Base: bp, Index: k, Scale: 8})
	ANDQ(out, bslash)
	JNZ(LabelRef("stray"))
	SARQ(U8(63), in)
	MOVQ(in, inStr)
	ADDQ(U8(64), p)
	INCQ(k)
	JMP(LabelRef("loop"))

	Label("stray")
	sp = Load(Param("state"), GP64())
	MOVQ(bslash, Mem{Base: sp, Disp: 16})
	SARQ(U8(63), in)
	MOVQ(in, Mem{Base: sp})
	MOVQ(escNext, Mem{Base: sp, Disp: 8})
	VZEROUPPER()
	Store(k, ReturnIndex(0))
	RET()

	Label("done")
	sp = Load(Param("state"), GP64())
	MOVQ(inStr, Mem{Base: sp})
	MOVQ(escNext, Mem{Base: sp, Disp: 8})
	VZEROUPPER()
	Store(k, ReturnIndex(0))
	RET()

	bracketRun()
	Generate()
}

// bracketRun writes bracketRunAMD64, stream_blocks.go's bracketRunGo in
// assembly: the Go compiler keeps too little of that loop in registers.
// It needs nothing beyond amd64's baseline.
func bracketRun() {
	TEXT("bracketRunAMD64", NOSPLIT, "func(brack *uint64, nw int, buf *byte, hi, w int, m uint64, lim int) (k int, ok bool)")
	Doc("bracketRunAMD64 is bracketRunGo on the nw words at brack and the bytes",
		"at buf; see there.")
	Pragma("noescape")
	brack := Load(Param("brack"), GP64())
	nw := Load(Param("nw"), GP64())
	buf := Load(Param("buf"), GP64())
	hi := Load(Param("hi"), GP64())
	w := Load(Param("w"), GP64())
	m := Load(Param("m"), GP64())
	lim := Load(Param("lim"), GP64())
	base := GP64()
	MOVQ(w, base)
	SHLQ(U8(6), base)
	st, r := GP64(), GP64()
	XORQ(st, st) // kinds of the open containers, bit 0 the innermost: 1 for an object
	XORQ(r, r)   // how many
	k, c, curly, t := GP64(), GP64(), GP64(), GP64()

	Label("next")
	TESTQ(m, m)
	JZ(LabelRef("word"))
	BSFQ(m, k)
	ADDQ(base, k)
	CMPQ(k, hi)
	JGE(LabelRef("past"))
	MOVBQZX(Mem{Base: buf, Index: k, Scale: 1}, c)
	LEAQ(Mem{Base: m, Disp: -1}, t)
	ANDQ(t, m) // the bit visited
	MOVQ(c, curly)
	SHRQ(U8(5), curly)
	ANDQ(U8(1), curly) // '{' and '}' have bit 5, '[' and ']' do not
	TESTB(U8(2), c.As8())
	JZ(LabelRef("close")) // '}' or ']'
	CMPQ(r, lim)
	JGE(LabelRef("undecided"))
	SHLQ(U8(1), st)
	ORQ(curly, st)
	INCQ(r)
	JMP(LabelRef("next"))

	Label("close")
	TESTQ(r, r)
	JZ(LabelRef("undecided"))
	MOVQ(st, t)
	ANDQ(U8(1), t)
	CMPQ(t, curly)
	JNE(LabelRef("undecided"))
	SHRQ(U8(1), st)
	DECQ(r)
	JNZ(LabelRef("next"))
	Store(k, ReturnIndex(0))
	MOVB(U8(1), t.As8())
	Store(t.As8(), ReturnIndex(1))
	RET()

	Label("word")
	INCQ(w)
	CMPQ(w, nw)
	JGE(LabelRef("past"))
	ADDQ(U8(64), base)
	MOVQ(Mem{Base: brack, Index: w, Scale: 8}, m)
	JMP(LabelRef("next"))

	Label("undecided")
	Store(k, ReturnIndex(0))
	XORQ(t, t)
	Store(t.As8(), ReturnIndex(1))
	RET()

	Label("past")
	MOVQ(I64(-1), k)
	Store(k, ReturnIndex(0))
	XORQ(t, t)
	Store(t.As8(), ReturnIndex(1))
	RET()
}
