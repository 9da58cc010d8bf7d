package limiter

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash/maphash"
)

// fixedKey is the form in which a limiter stores a key: 16 bytes whatever
// the key's length, so a flood of distinct long keys (8 KB header values)
// costs what a flood of IP addresses does. A key of up to inlineKeyMax
// bytes (every IPv4 client key) is stored as its bytes and length, without
// hashing; a longer one as the first 128 bits of its SHA-256. Two words,
// not an array, so that it is built and compared in registers (an array
// written bytewise and read whole stalls the store buffer: +20 ns a call).
//
// SHA-256 rather than a seeded hash: every instance computes the same
// digest, so Redis keys stay shared (redisKey), and no one can make their
// key share a counter with someone else's — that takes a second preimage of
// 128 bits (an inlined key is a fixed 16-byte value, so hitting one is a
// preimage too). Two keys of one's own colliding (a birthday search of
// 2^64) only makes them share a counter, which one client could do anyway.
// The shard and probe position come from a seeded hash (keyOf), so the
// digest's public bits cannot be used to pile keys into one probe sequence.
type fixedKey struct{ lo, hi uint64 }

// inlineKeyMax is the longest key stored without hashing (the top byte of
// hi holds the length).
const inlineKeyMax = 15

// keyOf returns key's fixed form and its placement hash under seed. It does
// not allocate (the digest is an array on the stack); hashing costs about
// 100 ns, only for keys longer than inlineKeyMax.
func keyOf(seed maphash.Seed, key []byte) (k fixedKey, h uint64) {
	n := len(key)
	if n > inlineKeyMax {
		sum := sha256.Sum256(key)
		return fixedKey{binary.LittleEndian.Uint64(sum[:8]), binary.LittleEndian.Uint64(sum[8:16])},
			maphash.Bytes(seed, sum[:16])
	}
	if n >= 8 {
		// The last 8 bytes, shifted so only those past the first 8 stay
		// (a shift by 64 is 0: n = 8 has none).
		k.lo = binary.LittleEndian.Uint64(key)
		k.hi = binary.LittleEndian.Uint64(key[n-8:]) >> (8 * (16 - n))
	} else {
		for i, c := range key {
			k.lo |= uint64(c) << (8 * i)
		}
	}
	k.hi |= uint64(n) << 56
	return k, maphash.Bytes(seed, key)
}

// redisKey is key's name in Redis after prefix: a key of up to inlineKeyMax
// bytes as it is, a longer one as the 32 hex digits of its fixed form (the
// first 32 of `sha256sum`). The two never meet: they differ in length.
func redisKey(prefix string, key []byte, k fixedKey) string {
	if len(key) <= inlineKeyMax {
		return prefix + string(key)
	}
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:8], k.lo)
	binary.LittleEndian.PutUint64(b[8:], k.hi)
	var h [32]byte
	hex.Encode(h[:], b[:])
	return prefix + string(h[:])
}
