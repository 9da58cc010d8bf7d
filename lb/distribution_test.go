package lb

import (
	"fmt"
	"math"
	"testing"
	"time"
)

func shares(bal Balancer, n, picks int, f Filter, hash func(int) uint64) []float64 {
	counts := make([]int, n)
	for k := range picks {
		counts[bal.Pick(hash(k), f)]++
	}
	out := make([]float64, n)
	for i, c := range counts {
		out[i] = float64(c) / float64(picks)
	}
	return out
}

func seq(k int) uint64 { return mix(uint64(k)) }

func TestWeightedShares(t *testing.T) {
	_, bs := testBackends(t, 3)
	bal, err := NewBalancer(Config{Algorithm: WeightedRoundRobin}, bs, []int{5, 3, 2})
	if err != nil {
		t.Fatal(err)
	}
	got := shares(bal, 3, 10000, nil, seq)
	for i, want := range []float64{0.5, 0.3, 0.2} {
		if math.Abs(got[i]-want) > 0.05*want {
			t.Errorf("backend %d share %.3f, want %.3f ±5%%", i, got[i], want)
		}
	}
	// Unhealthy backend 0: the others keep their 3:2 ratio.
	bs[0].unhealthy.Store(true)
	got = shares(bal, 3, 10000, nil, seq)
	if got[0] != 0 || math.Abs(got[1]-0.6) > 0.03 {
		t.Errorf("with 0 out, shares = %v, want [0 .6 .4]", got)
	}
}

func TestWeightedIsSmooth(t *testing.T) {
	_, bs := testBackends(t, 3)
	bal, _ := NewBalancer(Config{Algorithm: WeightedRoundRobin}, bs, []int{5, 1, 1})
	var got []int
	for range 7 {
		got = append(got, bal.Pick(0, nil))
	}
	if fmt.Sprint(got) != "[0 0 1 0 2 0 0]" {
		t.Fatalf("sequence %v, want nginx's a a b a c a a", got)
	}
}

func TestWeightedScalesHugeWeights(t *testing.T) {
	_, bs := testBackends(t, 2)
	bal, _ := NewBalancer(Config{Algorithm: WeightedRoundRobin}, bs, []int{3_000_000, 1_000_000})
	if n := len(bal.(*weighted).seq); n != 4 {
		t.Fatalf("sequence length %d, want 4 (gcd-reduced)", n)
	}
	bal, _ = NewBalancer(Config{Algorithm: WeightedRoundRobin}, bs, []int{3_000_001, 1_000_000})
	if n := len(bal.(*weighted).seq); n > maxSequence {
		t.Fatalf("sequence length %d over %d", n, maxSequence)
	}
	got := shares(bal, 2, 10000, nil, seq)
	if math.Abs(got[0]-0.75) > 0.01 {
		t.Fatalf("scaled shares %v", got)
	}
}

func TestRoundRobinShares(t *testing.T) {
	_, bs := testBackends(t, 3)
	bal, _ := NewBalancer(Config{}, bs, nil)
	for i, s := range shares(bal, 3, 3000, nil, seq) {
		if math.Abs(s-1.0/3) > 0.02/3 {
			t.Errorf("backend %d share %.3f", i, s)
		}
	}
}

func TestLeastConn(t *testing.T) {
	_, bs := testBackends(t, 3)
	bal, _ := NewBalancer(Config{Algorithm: LeastConn}, bs, nil)
	// Idle pool: ties spread evenly (random start: 10k picks, ±5%).
	for i, s := range shares(bal, 3, 10000, nil, seq) {
		if math.Abs(s-1.0/3) > 0.05/3 {
			t.Errorf("idle: backend %d share %.3f", i, s)
		}
	}
	bs[0].Start()
	bs[0].Start()
	bs[1].Start()
	if i := bal.Pick(0, nil); i != 2 {
		t.Fatalf("picked %d, want the idle 2", i)
	}
	if i := bal.Pick(0, maskFilter{true, true, false}); i != 1 {
		t.Fatalf("picked %d, want 1 (2 filtered)", i)
	}
	bs[1].unhealthy.Store(true)
	if i := bal.Pick(0, maskFilter{true, true, false}); i != 0 {
		t.Fatalf("picked %d, want 0 (1 unhealthy, 2 filtered)", i)
	}
	if i := bal.Pick(0, maskFilter{false, true, false}); i != -1 {
		t.Fatalf("picked %d, want -1", i)
	}
	// Weights: 2 in flight on weight 4 beats 1 in flight on weight 1.
	bs[1].unhealthy.Store(false)
	wbal, _ := NewBalancer(Config{Algorithm: LeastConn}, bs, []int{4, 1, 1})
	if i := wbal.Pick(0, maskFilter{true, true, false}); i != 0 {
		t.Fatalf("weighted: picked %d, want 0", i)
	}
}

func TestP2CPrefersFastBackend(t *testing.T) {
	_, bs := testBackends(t, 3)
	bal, _ := NewBalancer(Config{Algorithm: P2CEWMA}, bs, nil)
	latency := []time.Duration{time.Millisecond, 20 * time.Millisecond, 20 * time.Millisecond}
	counts := make([]int, 3)
	// Simulated closed loop: each request stays in flight for a few picks,
	// so load spreads, and reports its backend's latency when done.
	var inflight []int
	for range 10000 {
		i := bal.Pick(0, nil)
		counts[i]++
		bs[i].Start()
		inflight = append(inflight, i)
		if len(inflight) > 4 {
			j := inflight[0]
			inflight = inflight[1:]
			bs[j].Done(latency[j], false)
		}
	}
	if counts[0] < counts[1]*3 || counts[0] < counts[2]*3 {
		t.Fatalf("counts %v: the fast backend 0 should get most picks", counts)
	}
	if counts[1] == 0 || counts[2] == 0 {
		t.Fatalf("counts %v: slow backends should still be sampled", counts)
	}
	bs[0].unhealthy.Store(true)
	for range 100 {
		if i := bal.Pick(0, nil); i == 0 {
			t.Fatal("picked the unhealthy backend")
		}
	}
	if i := bal.Pick(0, maskFilter{false, false, true}); i != 2 {
		t.Fatalf("picked %d, want 2", i)
	}
	if i := bal.Pick(0, maskFilter{true, false, false}); i != -1 {
		t.Fatalf("picked %d, want -1", i)
	}
}

func TestP2COneBackend(t *testing.T) {
	_, bs := testBackends(t, 1)
	bal, _ := NewBalancer(Config{Algorithm: P2CEWMA}, bs, nil)
	if i := bal.Pick(0, nil); i != 0 {
		t.Fatalf("picked %d", i)
	}
	if i := bal.Pick(0, maskFilter{false}); i != -1 {
		t.Fatalf("picked %d, want -1", i)
	}
}

func TestIPHashStableAndMinimalRemap(t *testing.T) {
	_, bs := testBackends(t, 4)
	bal, _ := NewBalancer(Config{Algorithm: IPHash}, bs, nil)
	const clients = 10000
	first := make([]int, clients)
	counts := make([]int, 4)
	for c := range clients {
		first[c] = bal.Pick(seq(c), nil)
		counts[first[c]]++
		if again := bal.Pick(seq(c), nil); again != first[c] {
			t.Fatalf("client %d moved %d -> %d", c, first[c], again)
		}
	}
	for i, n := range counts {
		if math.Abs(float64(n)/clients-0.25) > 0.03 {
			t.Errorf("backend %d got %d of %d clients", i, n, clients)
		}
	}
	// Backend 2 out: only its clients move, spread over the others.
	f := maskFilter{true, true, false, true}
	moved := make([]int, 4)
	for c := range clients {
		got := bal.Pick(seq(c), f)
		if first[c] != 2 && got != first[c] {
			t.Fatalf("client %d of backend %d moved to %d", c, first[c], got)
		}
		if first[c] == 2 {
			moved[got]++
		}
	}
	if moved[2] != 0 || moved[0] == 0 || moved[1] == 0 || moved[3] == 0 {
		t.Fatalf("backend 2's clients went to %v", moved)
	}
	// Same URLs in another order: same backend per client.
	rev := []*Backend{bs[3], bs[2], bs[1], bs[0]}
	rbal, _ := NewBalancer(Config{Algorithm: IPHash}, rev, nil)
	for c := range 1000 {
		if rev[rbal.Pick(seq(c), nil)] != bs[first[c]] {
			t.Fatalf("client %d changed backend when the list was reordered", c)
		}
	}
	if i := bal.Pick(1, maskFilter{false, false, false, false}); i != -1 {
		t.Fatalf("picked %d, want -1", i)
	}
}

func TestP2CRecoversAfterSlowSpell(t *testing.T) {
	_, bs := testBackends(t, 2)
	bal, _ := NewBalancer(Config{Algorithm: P2CEWMA}, bs, nil)
	bs[0].Start()
	bs[0].Done(time.Millisecond, false)
	bs[1].Start()
	bs[1].Done(10*time.Second, false) // one very slow answer
	for range 20000 {
		i := bal.Pick(0, nil)
		bs[i].Start()
		bs[i].Done(time.Millisecond, false) // both are fast now
	}
	if got := bs[1].EWMA(); got != time.Millisecond {
		t.Fatalf("backend 1 was not sampled back to health: EWMA %v", got)
	}
	if got := bs[1].Stats().Requests; got < 30 {
		t.Fatalf("backend 1 got %d requests", got)
	}
}
