package cache

import (
	"encoding/binary"
	"fmt"
	"testing"
)

// TestVariantTagsBounded: a marker lists the newest variant first, one
// entry per variant hash, at most maxVariantTags, and never an ETag that is
// malformed or too long.
func TestVariantTagsBounded(t *testing.T) {
	var m *entry
	for i := range 20 {
		tags := variantTags(m, uint64(i%10), []byte(fmt.Sprintf(`"t%d"`, i)))
		m = encodeEntry(&entryParts{kind: kindMarker, key: []byte("k"), hdrs: tags})
	}
	if len(m.hdrs) != maxVariantTags {
		t.Fatalf("%d tags listed, want %d", len(m.hdrs), maxVariantTags)
	}
	seen := map[uint64]bool{}
	for i, f := range m.hdrs {
		vh := binary.LittleEndian.Uint64(f.name)
		if seen[vh] {
			t.Fatalf("variant %d listed twice", vh)
		}
		seen[vh] = true
		if want := fmt.Sprintf(`"t%d"`, 19-i); string(f.value) != want {
			t.Errorf("tag %d = %s, want %s (newest first)", i, f.value, want)
		}
	}
	long := make([]byte, maxVariantTag+1)
	for i := range long {
		long[i] = 'x'
	}
	long[0], long[len(long)-1] = '"', '"'
	for _, bad := range [][]byte{nil, []byte("unquoted"), long} {
		if got := variantTags(nil, 1, bad); len(got) != 0 {
			t.Errorf("ETag %q listed", bad)
		}
	}
}
