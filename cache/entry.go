package cache

import (
	"encoding/binary"
	"errors"
)

// Entry kinds.
const (
	kindResponse byte = 1 // a stored response
	kindMarker   byte = 2 // "this key varies on these request headers"
	kindMemo     byte = 3 // a Memoize result (memory only, no blob)
)

// errCorrupt is returned by decodeEntry for a blob it cannot read.
var errCorrupt = errors.New("cache: corrupt entry")

// entry is one immutable stored value. For responses and markers, blob is
// the whole serialised entry (the exact bytes written to Redis) and every
// []byte field is a view into it, so an entry is two allocations and a hit
// copies nothing but header bytes.
//
// Blob layout, little endian:
//
//	0  "PC" version kind
//	4  status u16, header count u16
//	8  storedAt i64 (unix ns), ttl i64 (ns, 0 = none), age0 i64 (s),
//	   markerID u64
//	40 vary count u16, key length u32, body length u32
//	50 stale-while-revalidate i32 (s, -1 = none), stale-if-error i32,
//	   stale flags u8, 0 u8
//	60 key, vary (u16 len, name, u16 len, value)*, headers (u16 len, name,
//	   u32 len, value)*, body
type entry struct {
	blob []byte
	key  []byte
	body []byte
	hdrs []field // response headers to replay
	vary []field // marker: names only; response: names and request values

	status   int
	storedAt int64  // unix ns (see freshFor: the arrival, less a fraction of a second of age)
	ttl      int64  // ns of freshness left at storedAt
	age0     int64  // whole seconds of age at storedAt (RFC 9111 §4.2.3's corrected initial age)
	markerID uint64 // response: the marker it belongs to; marker: its id
	kind     byte
	sd       staleDirectives // response: its own word on stale use

	// Set when the entry enters this process; never serialised.
	rs    *ruleState
	gen   uint64 // rs.gen when the fill began
	epoch uint64 // Cache.epoch when the fill began
	cost  int64
	// staleKeep is how long past freshness the entry is of use (ns), for
	// the Redis expiry; set by the fill that stores it.
	staleKeep int64

	mkey, mval any // kindMemo only

	derived derivedSlots // the gateway's encodings of body (derived.go)
}

// field is a name/value pair of views into an entry's blob.
type field struct{ name, value []byte }

const (
	blobMagic0, blobMagic1, blobVersion = 'P', 'C', 2
	blobHeader                          = 60
	entryOverhead                       = 256 // struct, slice headers, ristretto item
)

// fresh reports whether e may be served at now. Every stored response has
// a lifetime (a response without freshness information is not stored), so
// a ttl of 0 is never fresh; Memoize's "until evicted" checks it itself.
func (e *entry) fresh(now int64) bool {
	return now-e.storedAt < e.ttl
}

// entryParts are the inputs to encodeEntry.
type entryParts struct {
	kind     byte
	status   int
	storedAt int64
	ttl      int64
	age0     int64
	markerID uint64
	sd       staleDirectives
	key      []byte
	vary     []field
	hdrs     []field
	body     []byte
}

// encodeEntry serialises p into one exactly-sized blob and returns the entry
// reading it, or nil if a length does not fit its field.
func encodeEntry(p *entryParts) *entry {
	const u16, u32 = 1<<16 - 1, 1<<32 - 1
	if len(p.vary) > u16 || len(p.hdrs) > u16 || len(p.key) > u32 || len(p.body) > u32 {
		return nil
	}
	n := blobHeader + len(p.key) + len(p.body)
	for _, f := range p.vary {
		if len(f.name) > u16 || len(f.value) > u16 {
			return nil
		}
		n += 4 + len(f.name) + len(f.value)
	}
	for _, f := range p.hdrs {
		if len(f.name) > u16 || len(f.value) > u32 {
			return nil
		}
		n += 6 + len(f.name) + len(f.value)
	}
	b := make([]byte, blobHeader, n)
	b[0], b[1], b[2], b[3] = blobMagic0, blobMagic1, blobVersion, p.kind
	le := binary.LittleEndian
	le.PutUint16(b[4:], uint16(p.status))
	le.PutUint16(b[6:], uint16(len(p.hdrs)))
	le.PutUint64(b[8:], uint64(p.storedAt))
	le.PutUint64(b[16:], uint64(p.ttl))
	le.PutUint64(b[24:], uint64(p.age0))
	le.PutUint64(b[32:], p.markerID)
	le.PutUint16(b[40:], uint16(len(p.vary)))
	le.PutUint32(b[42:], uint32(len(p.key)))
	le.PutUint32(b[46:], uint32(len(p.body)))
	le.PutUint32(b[50:], uint32(p.sd.swr))
	le.PutUint32(b[54:], uint32(p.sd.sie))
	b[58] = p.sd.flags
	b = append(b, p.key...)
	for _, f := range p.vary {
		b = le.AppendUint16(b, uint16(len(f.name)))
		b = append(b, f.name...)
		b = le.AppendUint16(b, uint16(len(f.value)))
		b = append(b, f.value...)
	}
	for _, f := range p.hdrs {
		b = le.AppendUint16(b, uint16(len(f.name)))
		b = append(b, f.name...)
		b = le.AppendUint32(b, uint32(len(f.value)))
		b = append(b, f.value...)
	}
	b = append(b, p.body...)
	e, err := decodeEntry(b)
	if err != nil {
		panic("cache: encodeEntry produced an unreadable blob: " + err.Error())
	}
	return e
}

// decodeEntry reads a blob (from encodeEntry or Redis). The entry keeps
// views into b, which must not change afterwards.
func decodeEntry(b []byte) (*entry, error) {
	if len(b) < blobHeader || b[0] != blobMagic0 || b[1] != blobMagic1 || b[2] != blobVersion {
		return nil, errCorrupt
	}
	le := binary.LittleEndian
	e := &entry{
		blob:     b,
		kind:     b[3],
		status:   int(le.Uint16(b[4:])),
		storedAt: int64(le.Uint64(b[8:])),
		ttl:      int64(le.Uint64(b[16:])),
		age0:     int64(le.Uint64(b[24:])),
		markerID: le.Uint64(b[32:]),
		sd:       staleDirectives{swr: int32(le.Uint32(b[50:])), sie: int32(le.Uint32(b[54:])), flags: b[58]},
	}
	if e.kind != kindResponse && e.kind != kindMarker {
		return nil, errCorrupt
	}
	nHdr := int(le.Uint16(b[6:]))
	nVary := int(le.Uint16(b[40:]))
	keyLen := int(le.Uint32(b[42:]))
	bodyLen := int(le.Uint32(b[46:]))
	r := reader{b: b, off: blobHeader}
	e.key = r.next(keyLen)
	if nVary > 0 {
		e.vary = make([]field, nVary)
		for i := range e.vary {
			e.vary[i].name = r.next(int(r.u16()))
			e.vary[i].value = r.next(int(r.u16()))
		}
	}
	if nHdr > 0 {
		e.hdrs = make([]field, nHdr)
		for i := range e.hdrs {
			e.hdrs[i].name = r.next(int(r.u16()))
			e.hdrs[i].value = r.next(int(r.u32()))
		}
	}
	e.body = r.next(bodyLen)
	if r.bad || r.off != len(b) {
		return nil, errCorrupt
	}
	e.cost = int64(len(b)) + entryOverhead + int64(len(e.hdrs)+len(e.vary))*48
	return e, nil
}

// reader walks a blob, remembering whether it ever ran past the end.
type reader struct {
	b   []byte
	off int
	bad bool
}

func (r *reader) next(n int) []byte {
	if r.bad || n < 0 || r.off+n > len(r.b) {
		r.bad = true
		return nil
	}
	s := r.b[r.off : r.off+n : r.off+n]
	r.off += n
	return s
}

func (r *reader) u16() uint16 {
	s := r.next(2)
	if s == nil {
		return 0
	}
	return binary.LittleEndian.Uint16(s)
}

func (r *reader) u32() uint32 {
	s := r.next(4)
	if s == nil {
		return 0
	}
	return binary.LittleEndian.Uint32(s)
}
