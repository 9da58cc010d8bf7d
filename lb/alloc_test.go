//go:build !race

package lb

import "testing"

func TestPickAllocs(t *testing.T) {
	for _, algo := range algorithms {
		_, bs := testBackends(t, 4)
		bal, err := NewBalancer(Config{Algorithm: algo}, bs, []int{1, 2, 3, 4})
		if err != nil {
			t.Error(err)
			continue
		}
		var f Filter = maskFilter{true, false, true, true}
		var h uint64
		if a := testing.AllocsPerRun(1000, func() {
			h++
			i := bal.Pick(h, f)
			bs[i].Start()
			bs[i].Done(1000, h%2 == 0)
		}); a != 0 {
			t.Errorf("%s: %v allocs per pick+start+done", algo, a)
		}
	}
}
