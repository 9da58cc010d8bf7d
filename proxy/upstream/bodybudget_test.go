package upstream

import (
	"sync"
	"testing"
)

// The budget never admits more than its limit, even under concurrent
// reservations, comes back to 0 once all is released, and reserving and
// releasing allocate nothing.
func TestBodyBudgetReserveAlloc(t *testing.T) {
	var b BodyBudget
	b.SetLimit(1000)
	var wg sync.WaitGroup
	var mu sync.Mutex
	over := false
	for range 8 {
		wg.Go(func() {
			for range 10000 {
				if b.Reserve(100) {
					if u := b.Used(); u > 1000 {
						mu.Lock()
						over = true
						mu.Unlock()
					}
					b.Release(100)
				}
			}
		})
	}
	wg.Wait()
	if over || b.Used() != 0 {
		t.Fatalf("over the limit: %v, used at the end %d", over, b.Used())
	}
	if !b.Reserve(1000) || b.Reserve(1) {
		t.Fatal("the limit is not exact")
	}
	b.Release(1000)
	if a := testing.AllocsPerRun(1000, func() {
		if b.Reserve(10) {
			b.Release(10)
		}
	}); a != 0 {
		t.Errorf("Reserve and Release: %v allocs", a)
	}
	var none *BodyBudget
	if !none.Reserve(1 << 40) {
		t.Error("a nil budget refused")
	}
	none.Release(1)
}
