package route

// Captures holds the named captures of one match as spans into the matched
// path. It is a fixed-size value (no heap): declare one per request, on the
// stack or in a per-connection struct, and pass its address to
// [Table.Match]. The spans are valid only for the path given to Match.
type Captures struct {
	names []string // the winning rule's capture names (shared, read-only)
	spans [MaxCaptures][2]int32
}

func (c *Captures) reset(names []string) {
	c.names = names
	for i := range c.spans {
		c.spans[i] = [2]int32{-1, -1}
	}
}

// setFromIndex copies regexp-style submatch indexes into spans.
func (c *Captures) setFromIndex(idx []int, slots []int8, base int) {
	for g := 1; g < len(slots); g++ {
		s := slots[g]
		if s < 0 || 2*g+1 >= len(idx) {
			continue
		}
		if idx[2*g] >= 0 {
			c.spans[s] = [2]int32{int32(base + idx[2*g]), int32(base + idx[2*g+1])}
		}
	}
}

// Len returns the number of capture names of the matched rule.
func (c *Captures) Len() int { return len(c.names) }

// Name returns the i-th capture name of the matched rule.
func (c *Captures) Name(i int) string { return c.names[i] }

// Value returns the i-th capture as a sub-slice of path, or nil if it did
// not participate in the match (possible for regex rules only).
func (c *Captures) Value(i int, path []byte) []byte {
	sp := c.spans[i]
	if sp[0] < 0 || int(sp[1]) > len(path) {
		return nil
	}
	return path[sp[0]:sp[1]:sp[1]]
}

// Get returns the capture called name as a sub-slice of path (the same path
// that was matched), or nil when the rule has no such capture or it did not
// participate in the match.
func (c *Captures) Get(name string, path []byte) []byte {
	for i, n := range c.names {
		if n == name {
			return c.Value(i, path)
		}
	}
	return nil
}
