package limiter

import (
	"crypto/sha256"
	"encoding/hex"
)

// fixedKey is the form in which a limiter stores a key: 16 bytes whatever
// the key's length, so a flood of distinct long keys (8 KB header values)
// costs what a flood of IP addresses does. A key of up to inlineKeyMax
// bytes (every IPv4 client key) is stored as its length and bytes, without
// hashing; a longer one as the first 128 bits of its SHA-256.
//
// SHA-256 rather than a seeded hash: every instance computes the same
// digest, so Redis keys stay shared (redisKey), and no one can make their
// key share a counter with someone else's — that takes a second preimage of
// 128 bits (an inlined key is a fixed 16-byte value, so hitting one is a
// preimage too). Two keys of one's own colliding (a birthday search of
// 2^64) only makes them share a counter, which one client could do anyway.
// The shard and probe position come from a seeded hash of the fixed key
// (localStore.hash), so its public bits cannot be used to pile keys into
// one probe sequence.
type fixedKey [16]byte

// inlineKeyMax is the longest key stored without hashing (one byte of the
// 16 holds the length).
const inlineKeyMax = len(fixedKey{}) - 1

// makeKey returns key's fixed form. It does not allocate (the digest is an
// array on the stack); hashing costs about 100 ns, only for keys longer
// than inlineKeyMax.
func makeKey(key []byte) (k fixedKey) {
	if len(key) <= inlineKeyMax {
		k[0] = byte(len(key))
		copy(k[1:], key)
		return k
	}
	sum := sha256.Sum256(key)
	copy(k[:], sum[:])
	return k
}

// redisKey is key's name in Redis after prefix: a key of up to inlineKeyMax
// bytes as it is, a longer one as the 32 hex digits of its fixed form (the
// first 32 of `sha256sum`). The two never meet: they differ in length.
func redisKey(prefix string, key []byte, k *fixedKey) string {
	if len(key) <= inlineKeyMax {
		return prefix + string(key)
	}
	var h [2 * len(fixedKey{})]byte
	hex.Encode(h[:], k[:])
	return prefix + string(h[:])
}
