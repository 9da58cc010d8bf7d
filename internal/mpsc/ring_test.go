package mpsc

import (
	"sync"
	"testing"
)

// Values come out in the order they were published; a full ring refuses
// the claim until the consumer releases a slot.
func TestRingOrderAndFull(t *testing.T) {
	r := New[int](3) // rounded up to 4
	if r.Len() != 4 {
		t.Fatalf("len %d, want 4", r.Len())
	}
	for i := 0; i < 4; i++ {
		v, pos := r.Claim()
		if v == nil {
			t.Fatalf("claim %d refused", i)
		}
		*v = i
		r.Publish(pos)
	}
	if v, _ := r.Claim(); v != nil {
		t.Fatal("a full ring gave a slot")
	}
	for i := 0; i < 2; i++ {
		v := r.Peek()
		if v == nil || *v != i {
			t.Fatalf("peek %d: %v", i, v)
		}
		r.Release()
	}
	for i := 4; i < 6; i++ {
		v, pos := r.Claim()
		if v == nil {
			t.Fatalf("claim %d refused after a release", i)
		}
		*v = i
		r.Publish(pos)
	}
	for i := 2; i < 6; i++ {
		if v := r.Peek(); v == nil || *v != i {
			t.Fatalf("peek %d: %v", i, v)
		}
		r.Release()
	}
	if r.Peek() != nil {
		t.Fatal("an empty ring gave a value")
	}
}

// A claimed slot not yet published holds the consumer back: values behind
// it wait, in order.
func TestRingUnpublishedHoldsConsumer(t *testing.T) {
	r := New[int](4)
	a, pa := r.Claim()
	b, pb := r.Claim()
	*a, *b = 1, 2
	r.Publish(pb)
	if r.Peek() != nil {
		t.Fatal("the consumer passed an unpublished slot")
	}
	r.Publish(pa)
	for _, want := range []int{1, 2} {
		if v := r.Peek(); v == nil || *v != want {
			t.Fatalf("peek: %v, want %d", v, want)
		}
		r.Release()
	}
}

// Publish reports the positions closing each quarter of the ring, and
// only those.
func TestRingQuarter(t *testing.T) {
	r := New[int](16)
	var wakes []int
	for i := 0; i < 16; i++ {
		_, pos := r.Claim()
		if r.Publish(pos) {
			wakes = append(wakes, i)
		}
	}
	if len(wakes) != 4 || wakes[0] != 3 || wakes[3] != 15 {
		t.Fatalf("quarter wakes at %v, want [3 7 11 15]", wakes)
	}
	one := New[int](1)
	if _, pos := one.Claim(); !one.Publish(pos) {
		t.Fatal("a one-slot ring does not wake on each value")
	}
}

// Many producers and one consumer: every value accepted arrives exactly
// once, every refusal is the ring being full.
func TestRingConcurrent(t *testing.T) {
	const producers, each = 4, 20000
	r := New[[2]int](64)
	var wg sync.WaitGroup
	accepted := make([]int, producers)
	for p := 0; p < producers; p++ {
		wg.Add(1)
		go func(p int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				v, pos := r.Claim()
				if v == nil {
					continue
				}
				*v = [2]int{p, i}
				r.Publish(pos)
				accepted[p]++
			}
		}(p)
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	last := [producers]int{-1, -1, -1, -1}
	got := make([]int, producers)
	drain := func() {
		for v := r.Peek(); v != nil; v = r.Peek() {
			p, i := v[0], v[1]
			if i <= last[p] {
				t.Fatalf("producer %d: %d after %d", p, i, last[p])
			}
			last[p] = i
			got[p]++
			r.Release()
		}
	}
	for running := true; running; {
		select {
		case <-done:
			running = false
		default:
		}
		drain()
	}
	drain()
	for p := range got {
		if got[p] != accepted[p] {
			t.Fatalf("producer %d: %d accepted, %d received", p, accepted[p], got[p])
		}
	}
}

func TestRingZeroAllocs(t *testing.T) {
	r := New[[64]byte](8)
	if n := testing.AllocsPerRun(100, func() {
		v, pos := r.Claim()
		v[0] = 1
		r.Publish(pos)
		_ = r.Peek()
		r.Release()
	}); n != 0 {
		t.Fatalf("%v allocations", n)
	}
}
