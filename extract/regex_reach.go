package extract

import (
	"encoding/binary"
	"regexp/syntax"
	"slices"
	"unicode/utf8"
)

// A reachDFA answers the question the chunked scan must settle before it
// trusts a match: starting at this place, how far into the text could some
// way of matching the pattern still be alive? Where every way has failed,
// nothing after that point can change whether or how the pattern matches
// there; if some way is still alive at the end of the window, more input
// could.
//
// It runs the pattern's program (regexp/syntax) as a lazily built DFA over
// lists of threads in priority order, so each byte costs a table lookup
// once warm. Like RE2's DFA it keeps the leftmost-first rule of Go's
// regexp: when a thread reaches the end of the pattern, the threads of
// lower priority are dropped, so the last place where a match was seen
// before every thread failed is where the regexp engine's match ends. The
// cache is bounded (maxReachStates) and rebuilt when full. Not safe for
// concurrent use.
type reachDFA struct {
	prog   *syntax.Prog
	states []reachState
	index  map[string]int32   // pcs key → state
	wide   map[[2]int32]int32 // (state, rune ≥ 128) → state
	mark   []uint32           // per instruction: gen when last added
	gen    uint32             // closure generation
	cut    bool               // a thread reached Match: add nothing more in this step
	start  int32              // state before any byte
	key    []byte             // scratch for index keys
	next   []uint32           // scratch for a state's instructions

	steps int64 // runes fed to threads, for tests that the work stays linear

	// leftmostAlive's scratch.
	pmark       []uint32
	pgen        uint32
	pcur, pnext []pikeThread
}

// reachState is a list of instructions that wait for a rune, in priority
// order.
type reachState struct {
	pcs   []uint32
	match bool       // a thread reached the end of the pattern on the way here
	ascii [128]int32 // next state per ASCII byte; -1 not computed yet
}

// deadState is the empty set: every way of matching has failed.
const deadState = 0

// maxReachStates bounds the DFA cache (each state is about 600 bytes).
const maxReachStates = 4096

func newReachDFA(tree *syntax.Regexp) (*reachDFA, error) {
	prog, err := syntax.Compile(tree.Simplify())
	if err != nil {
		return nil, err
	}
	d := &reachDFA{
		prog:  prog,
		index: make(map[string]int32),
		wide:  make(map[[2]int32]int32),
		mark:  make([]uint32, len(prog.Inst)),
	}
	d.reset()
	return d, nil
}

func (d *reachDFA) reset() {
	d.states = d.states[:0]
	clear(d.index)
	clear(d.wide)
	d.intern(nil, false) // deadState
	d.nextGen()
	d.cut = false
	pcs, match := d.add(d.next[:0], uint32(d.prog.Start), false)
	d.start = d.intern(pcs, match)
}

// nextGen starts a closure, clearing the marks when the counter wraps.
func (d *reachDFA) nextGen() {
	d.gen++
	if d.gen == 0 {
		clear(d.mark)
		d.gen = 1
	}
}

// add appends to dst, in priority order, the instructions that wait for a
// rune reachable from pc without consuming one, and reports whether the end
// of the pattern is reachable so; from there on it adds nothing (d.cut).
func (d *reachDFA) add(dst []uint32, pc uint32, match bool) ([]uint32, bool) {
	if d.cut || d.mark[pc] == d.gen {
		return dst, match
	}
	d.mark[pc] = d.gen
	switch i := &d.prog.Inst[pc]; i.Op {
	case syntax.InstAlt, syntax.InstAltMatch:
		dst, match = d.add(dst, i.Out, match)
		dst, match = d.add(dst, i.Arg, match)
	case syntax.InstCapture, syntax.InstNop, syntax.InstEmptyWidth:
		// Empty-width assertions are rejected before compiling; treating
		// one as always true would only keep more threads alive.
		dst, match = d.add(dst, i.Out, match)
	case syntax.InstRune, syntax.InstRune1, syntax.InstRuneAny, syntax.InstRuneAnyNotNL:
		dst = append(dst, pc)
	case syntax.InstMatch:
		match = true
		d.cut = true
	}
	return dst, match
}

// intern returns the state for a list of instructions, creating it.
func (d *reachDFA) intern(pcs []uint32, match bool) int32 {
	d.key = d.key[:0]
	if match {
		d.key = append(d.key, 1)
	}
	for _, pc := range pcs {
		d.key = binary.LittleEndian.AppendUint32(d.key, pc)
	}
	if id, ok := d.index[string(d.key)]; ok {
		return id
	}
	st := reachState{pcs: slices.Clone(pcs), match: match}
	for i := range st.ascii {
		st.ascii[i] = -1
	}
	id := int32(len(d.states))
	d.states = append(d.states, st)
	d.index[string(d.key)] = id
	return id
}

// step returns the state after s consumes r.
func (d *reachDFA) step(s int32, r rune) int32 {
	if r < 128 {
		if n := d.states[s].ascii[r]; n >= 0 {
			return n
		}
	} else if n, ok := d.wide[[2]int32{s, r}]; ok {
		return n
	}
	d.nextGen()
	d.cut = false
	next, match := d.next[:0], false
	for _, pc := range d.states[s].pcs {
		if i := &d.prog.Inst[pc]; i.MatchRune(r) {
			if next, match = d.add(next, i.Out, match); d.cut {
				break
			}
		}
	}
	d.next = next
	if len(d.states) >= maxReachStates {
		// Start over rather than grow: s is no longer valid after this,
		// so the transition is not cached.
		saved := slices.Clone(next)
		d.reset()
		return d.intern(saved, match)
	}
	n := d.intern(next, match)
	if r < 128 {
		d.states[s].ascii[r] = n
	} else {
		d.wide[[2]int32{s, r}] = n
	}
	return n
}

// run feeds text to the pattern anchored at its first byte. It returns
// alive == true when some thread could go on with more input than text (an
// incomplete UTF-8 sequence at the end counts unless eof); otherwise every
// thread had failed by text[end], and nothing after it matters. mend is
// where the regexp engine's leftmost-first match at text[0] ends, or -1
// for no match.
func (d *reachDFA) run(text []byte, eof bool) (end int, alive bool, mend int) {
	s := d.start
	mend = -1
	if d.states[s].match {
		mend = 0
	}
	for i := 0; i < len(text); {
		r, w := rune(text[i]), 1
		if r >= utf8.RuneSelf {
			if !eof && !utf8.FullRune(text[i:]) {
				return len(text), true, mend
			}
			r, w = utf8.DecodeRune(text[i:])
		}
		if n := int32(-1); r < utf8.RuneSelf {
			if n = d.states[s].ascii[r]; n >= 0 {
				s = n // the cached transition, without a call
			} else {
				s = d.step(s, r)
			}
		} else {
			s = d.step(s, r)
		}
		d.steps++
		if s == deadState {
			return i, false, mend
		}
		i += w
		if d.states[s].match {
			mend = i
		}
		if len(d.states[s].pcs) == 0 {
			return i, false, mend // only finished threads: nothing can go on
		}
	}
	return len(text), true, mend
}

// pikeThread is a thread of leftmostAlive: an instruction waiting for a
// rune, and where its match would start.
type pikeThread struct {
	pc    uint32
	start int
}

// leftmostAlive returns the least index p such that some way of matching
// the pattern from text[p] is still alive at the end of text (could go on
// with more input), or -1 if there is none. Unlike run from every index,
// it keeps each instruction once, with the earliest start, so its time is
// linear in len(text): the fallback when the per-place runs would not be.
func (d *reachDFA) leftmostAlive(text []byte, eof bool) int {
	if d.pmark == nil {
		d.pmark = make([]uint32, len(d.prog.Inst))
	}
	cur, next := d.pcur[:0], d.pnext[:0]
	defer func() { d.pcur, d.pnext = cur[:0], next[:0] }()
	gen := d.pikeGen()
	for i := 0; i < len(text); {
		cur = d.pikeAdd(cur, uint32(d.prog.Start), i, gen) // latest start goes last
		r, w := rune(text[i]), 1
		if r >= utf8.RuneSelf {
			if !eof && !utf8.FullRune(text[i:]) {
				return cur[0].start // every thread waits for the rest of the rune
			}
			r, w = utf8.DecodeRune(text[i:])
		}
		gen = d.pikeGen()
		d.steps += int64(len(cur))
		next = next[:0]
		for _, t := range cur {
			if in := &d.prog.Inst[t.pc]; in.MatchRune(r) {
				next = d.pikeAdd(next, in.Out, t.start, gen)
			}
		}
		cur, next = next, cur
		i += w
	}
	if len(cur) == 0 {
		return -1
	}
	return cur[0].start // threads stay in order of start
}

// pikeAdd appends the waiting instructions reachable from pc, each once
// per generation: the first to claim one has the earliest start. A thread
// that reaches the end of the pattern has finished and is not kept.
func (d *reachDFA) pikeAdd(list []pikeThread, pc uint32, start int, gen uint32) []pikeThread {
	if d.pmark[pc] == gen {
		return list
	}
	d.pmark[pc] = gen
	switch in := &d.prog.Inst[pc]; in.Op {
	case syntax.InstAlt, syntax.InstAltMatch:
		list = d.pikeAdd(list, in.Out, start, gen)
		list = d.pikeAdd(list, in.Arg, start, gen)
	case syntax.InstCapture, syntax.InstNop, syntax.InstEmptyWidth:
		list = d.pikeAdd(list, in.Out, start, gen)
	case syntax.InstRune, syntax.InstRune1, syntax.InstRuneAny, syntax.InstRuneAnyNotNL:
		list = append(list, pikeThread{pc, start})
	}
	return list
}

// pikeGen returns a fresh generation for pmark, clearing the marks when
// the counter wraps.
func (d *reachDFA) pikeGen() uint32 {
	d.pgen++
	if d.pgen == 0 {
		clear(d.pmark)
		d.pgen = 1
	}
	return d.pgen
}
