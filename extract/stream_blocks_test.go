package extract

import (
	"bytes"
	"fmt"
	"io"
	"math/bits"
	"math/rand/v2"
	"strings"
	"testing"
	"testing/iotest"
)

// blockModes are the ways a stream scanner can skip: the byte loop alone
// (the pure-Go path), the AVX2 masks where the CPU has them, and the
// masks in Go (the same block algorithm on any CPU).
func blockModes() []uint8 {
	m := []uint8{blocksOff, blocksGo}
	if haveAVX2 {
		m = append(m, blocksAVX2)
	}
	return m
}

var blockModeName = map[uint8]string{blocksOff: "bytes", blocksAVX2: "avx2", blocksGo: "go-index"}

// runBlocks runs stream mode with block mode m and returns the values and
// the error's text.
func runBlocks(t testing.TB, o Options, m uint8, r io.Reader) (string, string) {
	t.Helper()
	e, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	e.sc.(*streamScanner).blocks = m
	var vals strings.Builder
	n, err := e.Run(r, func(sel int, raw []byte) error {
		fmt.Fprintf(&vals, "%d:%s\n", sel, raw)
		return nil
	})
	return vals.String(), fmt.Sprint(n, " ", err)
}

// sameAcrossBlocks checks that every block mode gives the byte loop's
// values and error (offset included) on doc at buffer size bs, in default
// and in strict mode, also with a MaxValueSize that some values exceed.
func sameAcrossBlocks(t *testing.T, name string, doc []byte, paths []string, bs int) {
	t.Helper()
	for _, strict := range []bool{false, true} {
		for _, maxValue := range []int{0, 5 + bs%23} {
			o := Options{Paths: paths, BufferSize: bs, Strict: strict, MaxValueSize: maxValue}
			wantV, wantE := runBlocks(t, o, blocksOff, bytes.NewReader(doc))
			for _, m := range blockModes()[1:] {
				gotV, gotE := runBlocks(t, o, m, bytes.NewReader(doc))
				if gotV != wantV || gotE != wantE {
					t.Fatalf("%s (buffer %d, max value %d, %s, strict %v): values %.200q err %s; byte loop: %.200q err %s",
						name, bs, maxValue, blockModeName[m], strict, gotV, gotE, wantV, wantE)
				}
			}
		}
	}
}

// TestEscapedChars holds escapedChars to a byte-by-byte reading of runs of
// backslashes over several blocks, carry included.
func TestEscapedChars(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for range sweep(20000, 2000) {
		// Dense backslashes make long runs across block edges.
		var blocks [4]uint64
		for k := range blocks {
			blocks[k] = rng.Uint64() | rng.Uint64()&rng.Uint64()
			if rng.IntN(4) == 0 {
				blocks[k] = ^uint64(0) << rng.IntN(64)
			}
		}
		var want [4]uint64
		esc := false
		for k := range blocks {
			for i := 0; i < 64; i++ {
				if esc {
					want[k] |= 1 << i
					esc = false
				} else if blocks[k]&(1<<i) != 0 {
					esc = true
				}
			}
		}
		var carry uint64
		for k := range blocks {
			var got uint64
			got, carry = escapedChars(blocks[k], carry)
			// Only escaped bytes that are not backslashes matter (a quote
			// among them is not a quote); an escaped backslash is the second
			// of a pair inside a run.
			if (got^want[k])&^blocks[k] != 0 {
				t.Fatalf("blocks %064b: block %d escaped %064b, want %064b", blocks, k, got, want[k])
			}
		}
	}
}

func TestPrefixXor(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for range 1000 {
		x := rng.Uint64()
		var want uint64
		in := uint64(0)
		for i := range 64 {
			in ^= x >> i & 1
			want |= in << i
		}
		if got := prefixXor(x); got != want {
			t.Fatalf("prefixXor(%064b) = %064b, want %064b", x, got, want)
		}
	}
}

// TestBlockMasks: the AVX2 and Go classifiers agree with a byte loop on
// blocks rich in the bytes they look for and in bytes near them.
func TestBlockMasks(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	alphabet := []byte("\"\\{}[]\x00\x7f\xff\xfb\xfd\xdb\xdd;=[]{}{}ab ")
	for range sweep(20000, 2000) {
		var b [64]byte
		for i := range b {
			if rng.IntN(3) == 0 {
				b[i] = byte(rng.Uint32())
			} else {
				b[i] = alphabet[rng.IntN(len(alphabet))]
			}
		}
		var q, bs, op, cl uint64
		for i, c := range b {
			switch c {
			case '"':
				q |= 1 << i
			case '\\':
				bs |= 1 << i
			case '{', '[':
				op |= 1 << i
			case '}', ']':
				cl |= 1 << i
			}
		}
		check := func(name string, gq, gbs, gop, gcl uint64) {
			if gq != q || gbs != bs || gop != op || gcl != cl {
				t.Fatalf("%s(%q): %x %x %x %x, want %x %x %x %x", name, b, gq, gbs, gop, gcl, q, bs, op, cl)
			}
		}
		gq, gbs, gop, gcl := blockMasksGo(&b)
		check("blockMasksGo", gq, gbs, gop, gcl)
	}
}

// TestIndexBlocks: the AVX2 and Go indexers agree with a byte-by-byte
// reading (strings, escapes, brackets outside strings, bytes a strict
// string must look at, the first backslash outside a string) on runs of blocks rich in the bytes they look for, with
// the state carried from block to block and from call to call.
func TestIndexBlocks(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	alphabet := []byte("\"\\\\\\{}[]\x00\x7f\xff\xfb\xfd\xdb\xdd;=[]{}ab ")
	for range sweep(5000, 500) {
		n := 1 + rng.IntN(6)
		b := make([]byte, 64*n)
		for i := range b {
			switch rng.IntN(4) {
			case 0:
				b[i] = byte(rng.Uint32())
			case 1:
				b[i] = 'a'
			default:
				b[i] = alphabet[rng.IntN(len(alphabet))]
			}
		}
		// The reference: byte by byte, up to the first stray backslash.
		wantQ, wantB, wantO := make([]uint64, n), make([]uint64, n), make([]uint64, n)
		for i, c := range b {
			if c < 0x20 || c >= 0x80 || c == '\\' {
				wantO[i/64] |= 1 << (i % 64)
			}
		}
		stray := len(b)
		in, esc := false, false
		for i, c := range b {
			switch {
			case esc:
				esc = false
			case c == '\\' && !in:
				stray = i
			case c == '\\':
				esc = true
			case c == '"':
				wantQ[i/64] |= 1 << (i % 64)
				in = !in
			case !in && (c == '{' || c == '}' || c == '[' || c == ']'):
				wantB[i/64] |= 1 << (i % 64)
			}
			if stray < len(b) {
				break
			}
		}
		kinds := []uint8{blocksGo}
		if haveAVX2 {
			kinds = append(kinds, blocksAVX2)
		}
		for _, kind := range kinds {
			s := &streamScanner{blocks: kind}
			gotQ, gotB, gotO := make([]uint64, n), make([]uint64, n), make([]uint64, n)
			var st [3]uint64
			// In two calls, to carry the state between them.
			split := rng.IntN(n + 1)
			k := split
			if split > 0 {
				k = s.indexBlocks(b, split, gotQ, gotB, gotO, &st)
			}
			if k == split && split < n {
				k = split + s.indexBlocks(b[64*split:], n-split, gotQ[split:], gotB[split:], gotO[split:], &st)
			}
			got := len(b)
			if k < n {
				got = 64*k + bits.TrailingZeros64(st[2])
			}
			if got != stray {
				t.Fatalf("%s %q: stray backslash at %d, want %d", blockModeName[kind], b, got, stray)
			}
			for w := range n {
				valid := ^uint64(0)
				if w > stray/64 {
					break
				} else if w == stray/64 {
					valid = 1<<(stray%64) - 1
				}
				if (gotO[w]^wantO[w])&valid != 0 {
					t.Fatalf("%s %q block %d: odd bytes %064b, want %064b", blockModeName[kind], b, w, gotO[w]&valid, wantO[w]&valid)
				}
				if (gotQ[w]^wantQ[w])&valid != 0 || (gotB[w]^wantB[w])&valid != 0 {
					t.Fatalf("%s %q block %d: quotes %064b brackets %064b, want %064b %064b", blockModeName[kind], b, w, gotQ[w]&valid, gotB[w]&valid, wantQ[w]&valid, wantB[w]&valid)
				}
			}
		}
	}
}

// blockDocs are documents aimed at the block loop's edges: strings and
// escapes across 64-byte blocks, backslash runs of every length, brackets
// in strings, multi-byte UTF-8, deep nesting, and broken input.
func blockDocs() [][]byte {
	var docs [][]byte
	add := func(s string) { docs = append(docs, []byte(s)) }
	for pad := 0; pad < 70; pad++ {
		p := strings.Repeat(" ", pad)
		for run := 0; run <= 5; run++ {
			bsl := strings.Repeat(`\`, run)
			add(`{"skip":{` + p + `"k":"` + bsl + `"` + `]}"},"a":[1],"x":1}`)
			add(`{"skip":[` + p + `"` + strings.Repeat(`\\`, run) + `\"[{","}"],"a":2}`)
		}
		add(`{"skip":{` + p + `"日本語€😀":"é]}","w":[{"z":"\u00e9\""}]},"a":3}`)
		add(`{"skip":[` + p + `[[[[[]]]]],{"a":{}}],"a":4}`)
		add(`{"skip":[` + p + `[[]]],"a":4}`)           // mismatched
		add(`{"skip":[` + p + `[{]]],"a":4}`)           // mismatched inside
		add(`{"skip":{` + p + `"a":"unterminated`)      // ends in a string
		add(`{"skip":{` + p + `"a":[1,2,3],"b":{"c":[`) // ends in brackets
		add(`{"skip":[` + p + `\"],"a":5}`)             // backslash outside a string
		add(`{"skip":[` + p + `"a\`)                    // ends in an escape
		add(`{"skip":1,"a":"` + p + `é\u00e9\"x\n"}`)   // selected string with escapes and UTF-8
		add(`{"a":"` + p + "\x01" + `"}`)               // control character in a selected string
		add(`{"a":"` + p + "\xff" + `","b":"é"}`)       // invalid UTF-8 in a selected string
		add(`{"a":"` + p + `€` + `"}`)                  // multi-byte UTF-8 across a block edge
		add(`{"x":{"a":"` + p + `\\"},"a":"\\\\"}`)     // escaped backslashes before the quote
	}
	deep := strings.Repeat("[", 9990) + strings.Repeat(`"]\"",`, 3) + strings.Repeat("]", 9990)
	add(`{"skip":` + deep + `,"a":6}`)
	add(`{"skip":` + strings.Repeat("[", 10001) + `,"a":6}`) // too deep
	add(`{"skip":` + strings.Repeat(`{"k":[`, 3000) + strings.Repeat(`]}`, 3000) + `,"a":7}`)
	return docs
}

// TestBlocksSameAnswers: the block loop (AVX2 and Go masks) gives the byte
// loop's values and errors, offsets included, on edge documents, the
// JSONTestSuite, random documents and RIPEstat bodies, at buffer sizes
// that put the edges everywhere.
func TestBlocksSameAnswers(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	fullSizes := sweep(1, 0) == 1
	sizes := func() []int {
		s := []int{16, 64, 65, 4096}
		if fullSizes {
			s = append(s, 63, 200)
		}
		for range sweep(4, 1) {
			s = append(s, 16+rng.IntN(300))
		}
		return s
	}
	paths := []string{"a", "a[*]", "data.updates[*].timestamp", "status", "[*]"}
	docs := blockDocs()
	for i := 0; i < len(docs); i += sweep(1, 3) { // under -race, every third
		for _, bs := range sizes() {
			sameAcrossBlocks(t, fmt.Sprintf("edge doc %d", i), docs[i], paths, bs)
		}
	}
	for name, doc := range loadSuite(t) {
		sels := suiteSelectors
		if !fullSizes {
			sels = sels[2:] // the selectors that skip, descend and capture
		}
		for _, sel := range sels {
			sameAcrossBlocks(t, name, doc, sel, 16+rng.IntN(100))
		}
	}
	for i := range sweep(200, 40) {
		doc := diffRandomDoc(rng)
		sameAcrossBlocks(t, fmt.Sprint("random doc ", i), doc, paths, 16+rng.IntN(len(doc)+1))
		if len(doc) > 10 {
			cut := doc[:rng.IntN(len(doc))]
			sameAcrossBlocks(t, fmt.Sprint("cut random doc ", i), cut, paths, 16+rng.IntN(200))
		}
	}
	body := smallRIPEBody().data[:sweep(1<<20, 128<<10)]
	for _, bs := range []int{100, 4099, DefaultBufferSize} {
		sameAcrossBlocks(t, "ripestat", body, benchPaths, bs) // cut: ends in an error
	}
	// One byte per Read: every refill in the middle of a block.
	doc := blockDocs()[7]
	o := Options{Paths: paths}
	wantV, wantE := runBlocks(t, o, blocksOff, iotest.OneByteReader(bytes.NewReader(doc)))
	for _, m := range blockModes() {
		if v, e := runBlocks(t, o, m, iotest.OneByteReader(bytes.NewReader(doc))); v != wantV || e != wantE {
			t.Fatalf("one byte per read, %s: %q %s; byte loop %q %s", blockModeName[m], v, e, wantV, wantE)
		}
	}
}

// FuzzBlocks: on any input, at any buffer size, every block mode gives the
// byte loop's values and error.
//
//	go test -fuzz FuzzBlocks ./extract
func FuzzBlocks(f *testing.F) {
	for _, d := range blockDocs()[:200] {
		f.Add(d, uint16(64))
	}
	f.Fuzz(func(t *testing.T, doc []byte, bs uint16) {
		for _, paths := range [][]string{{"a"}, {"[*]"}, {"data.updates[*].timestamp", "status"}} {
			sameAcrossBlocks(t, "fuzz", doc, paths, 16+int(bs%2048))
		}
	})
}

var _ = bits.Len64 // keep math/bits for the reference readings above

// TestIndexPlain holds index.plain and plainShort to a bit-by-bit reading of the odd
// words, over spans that start and end anywhere in them.
func TestIndexPlain(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	for range sweep(20000, 2000) {
		x := index{lo: rng.IntN(100), odd: make([]uint64, 1+rng.IntN(4))}
		for w := range x.odd {
			if rng.IntN(2) == 0 {
				x.odd[w] = 1 << rng.IntN(64)
			}
		}
		i := x.lo + rng.IntN(64*len(x.odd)+1)
		j := i + rng.IntN(x.lo+64*len(x.odd)-i+1)
		want := true
		for k := i; k < j; k++ {
			if x.odd[(k-x.lo)/64]>>((k-x.lo)%64)&1 != 0 {
				want = false
			}
		}
		if got := x.plain(i, j); got != want {
			t.Fatalf("lo %d odd %x: plain(%d, %d) = %v, want %v", x.lo, x.odd, i, j, got, want)
		}
		// plainShort may say false ("ask plain") for a span that is not
		// within one word, never true wrongly.
		if got := x.plainShort(i, j); got && !want || !got && want && j > i && (i-x.lo)/64 == (j-1-x.lo)/64 {
			t.Fatalf("lo %d odd %x: plainShort(%d, %d) = %v, want %v", x.lo, x.odd, i, j, got, want)
		}
	}
}

// TestBracketRun holds bracketRun (the assembly on amd64) and bracketRunGo
// to a reading with a stack of the same brackets, on random bracket runs:
// balanced, mismatched, cut by hi or by the words' end, deeper than 64
// levels and against the limit.
func TestBracketRun(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 18))
	for range sweep(20000, 2000) {
		nw := 1 + rng.IntN(4)
		buf := bytes.Repeat([]byte{'x'}, 64*nw)
		brack := make([]uint64, nw)
		depth := 0
		for k := range buf {
			if rng.IntN(3) != 0 {
				continue
			}
			open := rng.IntN(100) < 50+40/(1+max(depth, 0)) // deep runs as often as shallow ones
			if rng.IntN(8) == 0 {
				open = rng.IntN(2) == 0 // now and then anything: mismatches and stray closes
			}
			c := "{["[rng.IntN(2)]
			if !open {
				c = "}]"[rng.IntN(2)]
				depth--
			} else {
				depth++
			}
			buf[k] = c
			brack[k/64] |= 1 << (k % 64)
		}
		var opens []int
		for k, c := range buf {
			if c == '{' || c == '[' {
				opens = append(opens, k)
			}
		}
		if len(opens) == 0 {
			continue
		}
		i := opens[rng.IntN(len(opens))]
		hi := i + 1 + rng.IntN(len(buf)-i)
		lim := rng.IntN(70)
		w, m := i/64, brack[i/64]&^(1<<(i%64)-1)
		wantK, wantOK := bracketRunRef(buf, i, hi, lim)
		if k, ok := bracketRunGo(brack, buf, hi, w, m, lim); k != wantK || ok != wantOK {
			t.Fatalf("bracketRunGo(%q from %d, hi %d, lim %d) = %d, %v; want %d, %v", buf, i, hi, lim, k, ok, wantK, wantOK)
		}
		if k, ok := bracketRun(brack, buf, hi, w, m, lim); k != wantK || ok != wantOK {
			t.Fatalf("bracketRun(%q from %d, hi %d, lim %d) = %d, %v; want %d, %v", buf, i, hi, lim, k, ok, wantK, wantOK)
		}
	}
}

// bracketRunRef is bracketRunGo's contract read byte by byte with a stack.
func bracketRunRef(buf []byte, i, hi, lim int) (int, bool) {
	var stack []byte
	for k := i; k < hi; k++ {
		switch c := buf[k]; c {
		case '{', '[':
			if len(stack) >= lim {
				return k, false
			}
			stack = append(stack, c)
		case '}', ']':
			if len(stack) == 0 || stack[len(stack)-1] != c-2 { // '{'+2 is '}', '['+2 is ']'
				return k, false
			}
			if stack = stack[:len(stack)-1]; len(stack) == 0 {
				return k, true
			}
		}
	}
	return -1, false
}
