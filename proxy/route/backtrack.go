package route

import (
	"regexp/syntax"
	"sync"
	"unicode/utf8"
)

// This file is a small bounded backtracking regexp engine over a
// regexp/syntax program. It exists only to extract capture positions
// without allocating: the standard library's FindSubmatchIndex always
// allocates its result. Matching decisions are made by the standard
// library's Match (which does not allocate); this engine then runs once, on
// the winning rule only. Like the standard library's own backtracker it
// remembers visited (instruction, position) pairs in a bit set, so its cost
// is O(len(prog) * len(input)) and its result is leftmost-first, identical
// to regexp.FindSubmatchIndex (the fuzz test checks this).

const (
	maxBacktrackInsts = 500     // programs larger than this use the fallback
	maxBacktrackBits  = 1 << 20 // visited bit set limit: 128 KiB per machine
)

// capProg is a compiled program plus what the backtracker needs about it.
type capProg struct {
	prog  *syntax.Prog
	cond  syntax.EmptyOp
	ncap  int
	slots []int8 // capture group index -> Captures slot, or -1
}

func newCapProg(expr string) (*capProg, error) {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return nil, err
	}
	names := re.CapNames()
	prog, err := syntax.Compile(re.Simplify())
	if err != nil {
		return nil, err
	}
	p := &capProg{prog: prog, cond: prog.StartCond(), ncap: prog.NumCap, slots: make([]int8, len(names))}
	slot := int8(0)
	for i, n := range names {
		p.slots[i] = -1
		if i > 0 && n != "" {
			p.slots[i] = slot
			slot++
		}
	}
	return p, nil
}

// fits reports whether the backtracker can run on an input of length n
// within its memory bound.
func (p *capProg) fits(n int) bool {
	return len(p.prog.Inst) <= maxBacktrackInsts && len(p.prog.Inst)*(n+1) <= maxBacktrackBits
}

type btJob struct {
	pc  uint32
	arg bool
	pos int
}

type btMachine struct {
	end      int
	visited  []uint32
	jobs     []btJob
	cap      []int
	matchcap []int
}

var btPool = sync.Pool{New: func() any { return new(btMachine) }}

func (m *btMachine) reset(p *capProg, end int) {
	m.end = end
	m.jobs = m.jobs[:0]
	n := (len(p.prog.Inst)*(end+1) + 31) / 32
	if cap(m.visited) < n {
		m.visited = make([]uint32, n)
	} else {
		m.visited = m.visited[:n]
		clear(m.visited)
	}
	if cap(m.cap) < p.ncap {
		m.cap = make([]int, p.ncap)
		m.matchcap = make([]int, p.ncap)
	}
	m.cap, m.matchcap = m.cap[:p.ncap], m.matchcap[:p.ncap]
	for i := range m.cap {
		m.cap[i], m.matchcap[i] = -1, -1
	}
}

func (m *btMachine) shouldVisit(pc uint32, pos int) bool {
	n := uint(int(pc)*(m.end+1) + pos)
	if m.visited[n/32]&(1<<(n&31)) != 0 {
		return false
	}
	m.visited[n/32] |= 1 << (n & 31)
	return true
}

func (m *btMachine) push(p *capProg, pc uint32, pos int, arg bool) {
	if p.prog.Inst[pc].Op != syntax.InstFail && (arg || m.shouldVisit(pc, pos)) {
		m.jobs = append(m.jobs, btJob{pc: pc, arg: arg, pos: pos})
	}
}

func step(in []byte, pos int) (rune, int) {
	if pos >= len(in) {
		return -1, 0
	}
	if c := in[pos]; c < utf8.RuneSelf {
		return rune(c), 1
	}
	return utf8.DecodeRune(in[pos:])
}

func context(in []byte, pos int) syntax.EmptyOp {
	r1, r2 := rune(-1), rune(-1)
	if pos > 0 && pos <= len(in) {
		r1, _ = utf8.DecodeLastRune(in[:pos])
	}
	if pos < len(in) {
		r2, _ = utf8.DecodeRune(in[pos:])
	}
	return syntax.EmptyOpContext(r1, r2)
}

func (m *btMachine) try(p *capProg, in []byte, pc0 uint32, pos0 int) bool {
	m.push(p, pc0, pos0, false)
	for len(m.jobs) > 0 {
		l := len(m.jobs) - 1
		pc, pos, arg := m.jobs[l].pc, m.jobs[l].pos, m.jobs[l].arg
		m.jobs = m.jobs[:l]
		goto skip
	check:
		if !m.shouldVisit(pc, pos) {
			continue
		}
	skip:
		inst := &p.prog.Inst[pc]
		switch inst.Op {
		case syntax.InstFail:
			continue
		case syntax.InstAlt, syntax.InstAltMatch:
			if arg {
				arg = false
				pc = inst.Arg
			} else {
				m.push(p, pc, pos, true)
				pc = inst.Out
			}
			goto check
		case syntax.InstRune, syntax.InstRune1, syntax.InstRuneAny, syntax.InstRuneAnyNotNL:
			r, w := step(in, pos)
			if r < 0 {
				continue
			}
			switch inst.Op {
			case syntax.InstRune:
				if !inst.MatchRune(r) {
					continue
				}
			case syntax.InstRune1:
				if r != inst.Rune[0] {
					continue
				}
			case syntax.InstRuneAnyNotNL:
				if r == '\n' {
					continue
				}
			}
			pos += w
			pc = inst.Out
			goto check
		case syntax.InstCapture:
			if arg {
				m.cap[inst.Arg] = pos
				continue
			}
			if int(inst.Arg) < len(m.cap) {
				m.push(p, pc, m.cap[inst.Arg], true)
				m.cap[inst.Arg] = pos
			}
			pc = inst.Out
			goto check
		case syntax.InstEmptyWidth:
			if syntax.EmptyOp(inst.Arg)&^context(in, pos) != 0 {
				continue
			}
			pc = inst.Out
			goto check
		case syntax.InstNop:
			pc = inst.Out
			goto check
		case syntax.InstMatch:
			m.cap[1] = pos
			copy(m.matchcap, m.cap)
			return true
		}
	}
	return false
}

// run finds the leftmost-first match of p in in and stores the named
// captures (offset by base) in caps. in must satisfy p.fits(len(in)).
func (p *capProg) run(in []byte, base int, caps *Captures) bool {
	if p.cond == ^syntax.EmptyOp(0) {
		return false
	}
	m := btPool.Get().(*btMachine)
	defer btPool.Put(m)
	m.reset(p, len(in))
	matched := false
	if p.cond&syntax.EmptyBeginText != 0 {
		m.cap[0] = 0
		matched = m.try(p, in, uint32(p.prog.Start), 0)
	} else {
		for pos := 0; pos <= len(in); {
			m.cap[0] = pos
			if m.try(p, in, uint32(p.prog.Start), pos) {
				matched = true
				break
			}
			_, w := step(in, pos)
			if w == 0 {
				break
			}
			pos += w
		}
	}
	if matched {
		caps.setFromIndex(m.matchcap, p.slots, base)
	}
	return matched
}
