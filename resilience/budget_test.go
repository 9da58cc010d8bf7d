package resilience

import (
	"sync"
	"testing"
	"time"
)

func drain(b *Budget) int {
	n := 0
	for b.TryRetry() {
		n++
	}
	return n
}

func TestBudgetShareOfRequests(t *testing.T) {
	clock := newFakeClock()
	b := NewBudget(0.2, WithBudgetClock(clock.Now), WithMinRetriesPerSecond(0))
	if n := drain(b); n != BudgetBurst {
		t.Fatalf("initial burst %d, want %d", n, BudgetBurst)
	}
	for range 100 {
		b.OnRequest()
	}
	if n := drain(b); n != 10 {
		t.Fatalf("after 100 requests at 20%%: %d retries, want 10", n)
	}
	for range 1000 {
		b.OnRequest()
	}
	if n := drain(b); n != BudgetBurst {
		t.Fatalf("the balance should be capped: %d retries", n)
	}
}

func TestBudgetFloor(t *testing.T) {
	clock := newFakeClock()
	b := NewBudget(0, WithBudgetClock(clock.Now))
	drain(b)
	for range 100 {
		b.OnRequest() // ratio 0: no deposits
	}
	if b.TryRetry() {
		t.Fatal("retry without budget")
	}
	clock.Add(time.Second)
	if n := drain(b); n != MinRetriesPerSecond {
		t.Fatalf("floor gave %d retries in 1s, want %d", n, MinRetriesPerSecond)
	}
	clock.Add(time.Hour)
	if n := drain(b); n != BudgetBurst {
		t.Fatalf("floor refill should be capped: %d", n)
	}
	if b.Tokens() != 0 {
		t.Fatalf("Tokens = %v", b.Tokens())
	}
}

func TestBudgetConcurrent(t *testing.T) {
	clock := newFakeClock()
	b := NewBudget(0.2, WithBudgetClock(clock.Now), WithMinRetriesPerSecond(0))
	drain(b)
	var wg sync.WaitGroup
	var mu sync.Mutex
	retries := 0
	for range 4 {
		wg.Go(func() {
			n := 0
			for range 1000 {
				b.OnRequest()
				if b.TryRetry() {
					n++
				}
			}
			mu.Lock()
			retries += n
			mu.Unlock()
		})
	}
	wg.Wait()
	if retries > 800+BudgetBurst || retries < 700 {
		t.Fatalf("%d retries for 4000 requests at 20%%", retries)
	}
}

// At a high request rate the reserve grows to ratio of the last
// BudgetWindow's requests: a backend dying with many requests in flight
// gets them all retried elsewhere; a slow trickle keeps the least reserve.
func TestBudgetReserveScalesWithRate(t *testing.T) {
	clock := newFakeClock()
	b := NewBudget(0.2, WithBudgetClock(clock.Now), WithMinRetriesPerSecond(0))
	for range 20000 { // 10,000 requests a second for 2 s
		clock.Add(100 * time.Microsecond)
		b.OnRequest()
	}
	if n := drain(b); n < 3700 || n > 4010 { // the first 1,024 fill the least reserve only
		t.Fatalf("after 20,000 requests at 20%%: %d retries, want about 3,800 (the cap is 20,000)", n)
	}
	slow := NewBudget(0.2, WithBudgetClock(clock.Now), WithMinRetriesPerSecond(0))
	for range 3000 { // one request a second
		clock.Add(time.Second)
		slow.OnRequest()
	}
	if n := drain(slow); n != BudgetBurst {
		t.Fatalf("a backend with 1 request/s: %d retries in reserve, want %d", n, BudgetBurst)
	}
}
