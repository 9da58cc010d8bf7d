package limiter

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"hash/maphash"
	"testing"
	"unsafe"
)

// Keys of up to 23 bytes map one to one onto their fixed form (lengths and
// zero bytes included); longer ones onto the first 192 bits of their
// SHA-256, which is also their name in Redis. An entry stays one cache line.
func TestKeyOf(t *testing.T) {
	seed := maphash.MakeSeed()
	seen := map[fixedKey][]byte{}
	add := func(key []byte) {
		k, h := keyOf(seed, key)
		if k2, h2 := keyOf(seed, bytes.Clone(key)); k2 != k || h2 != h {
			t.Fatalf("%q: not deterministic", key)
		}
		if prev, ok := seen[k]; ok && !bytes.Equal(prev, key) {
			t.Fatalf("%q and %q share a fixed key", prev, key)
		}
		seen[k] = bytes.Clone(key)
	}
	for n := 0; n <= 30; n++ {
		for _, c := range []byte{0, 'a', 0xff} {
			add(bytes.Repeat([]byte{c}, n))
			for i := range n { // one byte changed at each position
				key := bytes.Repeat([]byte{c}, n)
				key[i] ^= 1
				add(key)
			}
		}
	}
	for _, ip := range []string{"192.0.2.1", "192.0.2.10", "203.0.113.255", "255.255.255.255", "2001:db8::/64", "2a02:8071:5e1:3b40::/64"} {
		add([]byte(ip))
		if got := redisKey("p:", []byte(ip), func() fixedKey { k, _ := keyOf(seed, []byte(ip)); return k }()); got != "p:"+ip {
			t.Errorf("Redis key of %q: %q", ip, got)
		}
	}
	long := bytes.Repeat([]byte("x"), 8<<10)
	k, _ := keyOf(seed, long)
	sum := sha256.Sum256(long)
	if got, want := redisKey("p:", long, k), "p:"+hex.EncodeToString(sum[:24]); got != want {
		t.Errorf("Redis key of an 8 KB key: %q, want %q", got, want)
	}
	if n := unsafe.Sizeof(entry{}); n != 64 {
		t.Errorf("entry is %d bytes, want one cache line", n)
	}
}
