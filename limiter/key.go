package limiter

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash/maphash"
)

// fixedKey is the form in which a limiter stores a key: 24 bytes whatever
// the key's length, so a flood of distinct long keys (8 KB header values)
// costs what a flood of IP addresses does. A key of up to inlineKeyMax
// bytes (every IPv4 client key and nearly every IPv6 /64 one) is stored as
// its bytes and length, without hashing; a longer one as the first 192 bits
// of its SHA-256. Three words, not an array, so that it is built and
// compared in registers (an array written bytewise and read whole stalls
// the store buffer: +20 ns a call).
//
// SHA-256 rather than a seeded hash: every instance computes the same
// digest, so Redis keys stay shared (redisKey), and no one can make their
// key share a counter with someone else's — that takes a second preimage
// (an inlined key is a fixed 24-byte value, so hitting one is a preimage
// too). Two keys of one's own colliding (a birthday search of 2^96) would
// only make them share a counter, which one client could do anyway. The
// shard and probe position come from a seeded hash (keyOf), so the
// digest's public bits cannot be used to pile keys into one probe sequence.
type fixedKey struct{ a, b, c uint64 }

// inlineKeyMax is the longest key stored without hashing (the top byte of
// c holds the length).
const inlineKeyMax = 23

// keyOf returns key's fixed form and its placement hash under seed. It does
// not allocate (the digest is an array on the stack); hashing costs about
// 150 ns (a key of up to 55 bytes), only for keys longer than inlineKeyMax.
func keyOf(seed maphash.Seed, key []byte) (k fixedKey, h uint64) {
	le := binary.LittleEndian
	n := len(key)
	switch {
	case n > inlineKeyMax:
		sum := sha256.Sum256(key)
		return fixedKey{le.Uint64(sum[:8]), le.Uint64(sum[8:16]), le.Uint64(sum[16:24])},
			maphash.Bytes(seed, sum[:24])
	// The last word is the key's last 8 bytes, shifted so that only those
	// past the full words stay (a shift by 64 is 0: none).
	case n >= 16:
		k.a, k.b = le.Uint64(key), le.Uint64(key[8:])
		k.c = le.Uint64(key[n-8:]) >> (8 * (24 - n))
	case n >= 8:
		k.a = le.Uint64(key)
		k.b = le.Uint64(key[n-8:]) >> (8 * (16 - n))
	default:
		for i, c := range key {
			k.a |= uint64(c) << (8 * i)
		}
	}
	k.c |= uint64(n) << 56
	return k, maphash.Bytes(seed, key)
}

// redisKey is key's name in Redis after prefix: a key of up to inlineKeyMax
// bytes as it is, a longer one as the 48 hex digits of its fixed form (the
// first 48 of `sha256sum`). The two never meet: they differ in length.
func redisKey(prefix string, key []byte, k fixedKey) string {
	if len(key) <= inlineKeyMax {
		return prefix + string(key)
	}
	var b [24]byte
	binary.LittleEndian.PutUint64(b[:8], k.a)
	binary.LittleEndian.PutUint64(b[8:16], k.b)
	binary.LittleEndian.PutUint64(b[16:], k.c)
	var h [48]byte
	hex.Encode(h[:], b[:])
	return prefix + string(h[:])
}
