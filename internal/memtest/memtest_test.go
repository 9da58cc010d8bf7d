package memtest

import (
	"runtime"
	"testing"
)

func TestLiveHeapSeesAllocation(t *testing.T) {
	before := LiveHeap()
	b := make([]byte, 8<<20)
	for i := range b {
		b[i] = 1
	}
	if got := LiveHeap(); got < before+(4<<20) {
		t.Fatalf("heap %d after an 8 MiB allocation, %d before", got, before)
	}
	if runtime.GOOS == "linux" && RSS(t) < 8<<20 {
		t.Fatal("RSS below the 8 MiB just touched")
	}
	runtime.KeepAlive(b)
}
