package metrics

import (
	"slices"
	"sync"

	"github.com/premier-gateway/premier/ui/source"
)

// topKeys keeps the most limited keys of a route approximately, in a fixed
// table (the space-saving algorithm: an unseen key replaces the smallest
// count and inherits it). A busy table skips the sample rather than wait.
// Keys are kept readable but cut to recentKeyLen bytes, shown with a
// trailing "…": memory stays fixed however long the keys (an 8 KB header
// value), and keys alike in their first recentKeyLen bytes count as one.
type topKeys struct {
	mu sync.Mutex
	n  int
	e  [topKeysSize]topKey
}

const topKeysSize = 16

type topKey struct {
	count uint64
	klen  uint8
	cut   bool // the key was longer than recentKeyLen
	key   [recentKeyLen]byte
}

func (t *topKeys) add(k []byte) {
	if !t.mu.TryLock() {
		return
	}
	cut := len(k) > recentKeyLen
	if cut {
		k = k[:recentKeyLen]
	}
	minI := 0
	for i := 0; i < t.n; i++ {
		e := &t.e[i]
		if e.cut == cut && string(e.key[:e.klen]) == string(k) {
			e.count++
			t.mu.Unlock()
			return
		}
		if e.count < t.e[minI].count {
			minI = i
		}
	}
	var e *topKey
	if t.n < topKeysSize {
		e = &t.e[t.n]
		t.n++
		e.count = 1
	} else {
		e = &t.e[minI]
		e.count++
	}
	e.klen = uint8(copy(e.key[:], k))
	e.cut = cut
	t.mu.Unlock()
}

// snapshot returns the keys, most refused first.
func (t *topKeys) snapshot() []source.KeyCount {
	t.mu.Lock()
	out := make([]source.KeyCount, t.n)
	for i := 0; i < t.n; i++ {
		e := &t.e[i]
		out[i] = source.KeyCount{Key: string(e.key[:e.klen]), Count: e.count}
		if e.cut {
			out[i].Key += "…"
		}
	}
	t.mu.Unlock()
	slices.SortFunc(out, func(a, b source.KeyCount) int {
		if a.Count != b.Count {
			if a.Count > b.Count {
				return -1
			}
			return 1
		}
		if a.Key < b.Key {
			return -1
		}
		return 1
	})
	return out
}
