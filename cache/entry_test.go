package cache

import (
	"bytes"
	"testing"
)

func TestEntryRoundTrip(t *testing.T) {
	p := entryParts{
		kind: kindResponse, status: 203, storedAt: 1e18, ttl: 5e9, age0: 3, markerID: 77,
		key:  []byte("G|h|/x"),
		vary: []field{{[]byte("Accept-Encoding"), []byte("gzip")}},
		hdrs: []field{{[]byte("Content-Type"), []byte("text/plain")}, {[]byte("X-A"), []byte("")}},
		body: []byte("body"),
	}
	e := encodeEntry(&p)
	d, err := decodeEntry(bytes.Clone(e.blob))
	if err != nil {
		t.Fatal(err)
	}
	if d.status != 203 || d.storedAt != 1e18 || d.ttl != 5e9 || d.age0 != 3 || d.markerID != 77 ||
		string(d.key) != "G|h|/x" || string(d.body) != "body" || len(d.hdrs) != 2 ||
		string(d.hdrs[0].value) != "text/plain" || string(d.vary[0].value) != "gzip" {
		t.Fatalf("%+v", d)
	}
}

func FuzzDecodeEntry(f *testing.F) {
	f.Add(encodeEntry(&entryParts{kind: kindResponse, status: 200, key: []byte("k"), body: []byte("b"),
		hdrs: []field{{[]byte("A"), []byte("b")}}}).blob)
	f.Add(encodeEntry(&entryParts{kind: kindMarker, key: []byte("k"), vary: []field{{name: []byte("X")}}}).blob)
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := decodeEntry(b) // must never panic or read out of bounds
		if err == nil {
			// A readable blob re-encodes to itself.
			again := encodeEntry(&entryParts{kind: e.kind, status: e.status, storedAt: e.storedAt, ttl: e.ttl,
				age0: e.age0, markerID: e.markerID, key: e.key, vary: e.vary, hdrs: e.hdrs, body: e.body})
			if !bytes.Equal(again.blob, b) {
				t.Fatalf("re-encoding differs")
			}
		}
	})
}
