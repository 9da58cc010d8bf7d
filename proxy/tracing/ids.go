package tracing

import (
	"encoding/binary"
	"math/rand/v2"
)

// IDs are drawn from math/rand/v2's runtime source (a per-thread
// ChaCha8: no lock, nothing allocated), as random as the W3C Trace
// Context asks of them (§3.2.2.3, §3.2.2.4) and never all zero, which
// would be invalid.

func newSpanID() (id [8]byte) {
	v := rand.Uint64()
	for v == 0 {
		v = rand.Uint64()
	}
	binary.BigEndian.PutUint64(id[:], v)
	return id
}

func newTraceID() (id [16]byte) {
	hi, lo := rand.Uint64(), rand.Uint64()
	for hi|lo == 0 {
		hi, lo = rand.Uint64(), rand.Uint64()
	}
	binary.BigEndian.PutUint64(id[:8], hi)
	binary.BigEndian.PutUint64(id[8:], lo)
	return id
}
