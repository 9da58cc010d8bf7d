package lb

import (
	"testing"
)

func TestNewBalancerErrors(t *testing.T) {
	_, bs := testBackends(t, 2)
	if _, err := NewBalancer(Config{}, nil, nil); err != ErrNoBackends {
		t.Fatalf("empty: %v", err)
	}
	if _, err := NewBalancer(Config{}, bs, []int{1}); err == nil {
		t.Fatal("weights length mismatch accepted")
	}
	if _, err := NewBalancer(Config{}, bs, []int{1, 0}); err == nil {
		t.Fatal("zero weight accepted")
	}
	if _, err := NewBalancer(Config{Algorithm: "random"}, bs, nil); err == nil {
		t.Fatal("unknown algorithm accepted")
	}
}

func TestRoundRobin(t *testing.T) {
	_, bs := testBackends(t, 3)
	bal, err := NewBalancer(Config{Algorithm: RoundRobin}, bs, nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []int
	for range 6 {
		got = append(got, bal.Pick(0, nil))
	}
	want := []int{0, 1, 2, 0, 1, 2}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("picks = %v, want %v", got, want)
		}
	}
	counts := make([]int, 3)
	f := maskFilter{true, false, true}
	for range 1000 {
		counts[bal.Pick(0, f)]++
	}
	if counts[1] != 0 || counts[0]+counts[2] != 1000 {
		t.Fatalf("filtered counts = %v", counts)
	}
	bs[0].unhealthy.Store(true)
	for range 10 {
		if i := bal.Pick(0, f); i != 2 {
			t.Fatalf("picked %d, want 2 (0 unhealthy, 1 filtered)", i)
		}
	}
	if i := bal.Pick(0, maskFilter{true, true, false}); i != 1 {
		t.Fatalf("picked %d, want 1", i)
	}
	if i := bal.Pick(0, maskFilter{true, false, false}); i != -1 {
		t.Fatalf("picked %d with nothing usable, want -1", i)
	}
}
