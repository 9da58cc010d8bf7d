package auth

import (
	"encoding/json"
	"strconv"
)

// tokenClaims is a verified token's claims as text, built once when the
// token is verified and shared by every request presenting it: reading a
// claim on the request path is a map lookup.
type tokenClaims struct {
	sub string
	m   map[string][]byte
}

// Claim returns the claim's value as text: a string as it is, a number in
// its shortest decimal form, true/false, and anything else as JSON.
func (c *tokenClaims) Claim(name string) ([]byte, bool) {
	v, ok := c.m[name]
	return v, ok
}

// maxClaimLen bounds one claim's text; a longer one is dropped (absent),
// as is one with control characters, which no header may carry.
const maxClaimLen = 1024

func newTokenClaims(sub string, raw map[string]any) *tokenClaims {
	c := &tokenClaims{sub: sub, m: make(map[string][]byte, len(raw))}
	for k, v := range raw {
		var b []byte
		switch x := v.(type) {
		case string:
			b = []byte(x)
		case float64:
			b = strconv.AppendFloat(nil, x, 'f', -1, 64)
		case bool:
			b = strconv.AppendBool(nil, x)
		case nil:
			continue
		default:
			var err error
			if b, err = json.Marshal(x); err != nil {
				continue
			}
		}
		if len(b) > maxClaimLen || !headerSafe(b) {
			continue
		}
		c.m[k] = b
	}
	return c
}

// headerSafe accepts text a header value may carry as it is: no control
// characters (CR and LF above all), tab allowed.
func headerSafe(b []byte) bool {
	for _, c := range b {
		if c < 0x20 && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}
