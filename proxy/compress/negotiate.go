package compress

import (
	"strings"

	"github.com/premier-gateway/premier/internal/ascii"
)

// Coding is a content coding the gateway can apply.
type Coding uint8

// The codings. Identity is "as the backend sent it".
const (
	Identity Coding = iota
	Zstd
	Br
	Gzip
	numCodings
)

var codingNames = [numCodings]string{"identity", "zstd", "br", "gzip"}

// String returns the coding's Content-Encoding token.
func (c Coding) String() string { return codingNames[c] }

func codingByName(s string) Coding {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "zstd":
		return Zstd
	case "br":
		return Br
	case "gzip":
		return Gzip
	}
	return Identity
}

// qUnset marks a coding the header does not name.
const qUnset = -1

// Negotiate picks the coding for a request whose Accept-Encoding is ae. RFC 9110 §12.5.3: a coding is
// acceptable when listed with q > 0, or covered by `*` with q > 0 and not
// listed; identity is acceptable unless refused (`identity;q=0`, or
// `*;q=0` without identity). The highest q wins; among equal ones the
// policy's order, and any coding before identity (identity not named
// loses to every acceptable coding). Without an
// Accept-Encoding header, with an empty one, or when nothing offered is
// acceptable, the answer is Identity: the gateway never turns a backend's
// answer into a 406 (the RFC lets a server disregard the header rather
// than refuse, §12.1).
func (p *Policy) Negotiate(ae []byte) Coding {
	if len(ae) == 0 {
		return Identity
	}
	var q [numCodings]int
	for i := range q {
		q[i] = qUnset
	}
	star := qUnset
	for len(ae) > 0 {
		var item []byte
		if i := indexByte(ae, ','); i >= 0 {
			item, ae = ae[:i], ae[i+1:]
		} else {
			item, ae = ae, nil
		}
		name, weight, ok := parseItem(item)
		if !ok {
			continue
		}
		switch {
		case len(name) == 1 && name[0] == '*':
			star = max(star, weight)
		case ascii.EqualFold(name, "identity"):
			q[Identity] = max(q[Identity], weight)
		case ascii.EqualFold(name, "gzip"), ascii.EqualFold(name, "x-gzip"):
			q[Gzip] = max(q[Gzip], weight)
		case ascii.EqualFold(name, "br"):
			q[Br] = max(q[Br], weight)
		case ascii.EqualFold(name, "zstd"):
			q[Zstd] = max(q[Zstd], weight)
		}
	}
	best, bestQ := Identity, 0
	for _, c := range p.order[:p.n] {
		w := q[c]
		if w == qUnset {
			w = star
		}
		if w > bestQ {
			best, bestQ = c, w
		}
	}
	if best == Identity {
		return Identity
	}
	// Identity not named is acceptable (unless `*;q=0`) but preferred to
	// no coding the client lists; named, it competes with its weight.
	id := q[Identity]
	if id == qUnset {
		id = 1
		if star == 0 {
			id = 0
		}
	}
	if id > bestQ {
		return Identity // the client prefers it as it is
	}
	return best
}

// parseItem reads one Accept-Encoding member: a token and its weight in
// thousandths (1000 without a q parameter). ok is false for an empty or
// malformed member, which is skipped.
func parseItem(item []byte) (name []byte, q int, ok bool) {
	item = ascii.TrimOWS(item)
	params := []byte(nil)
	if i := indexByte(item, ';'); i >= 0 {
		item, params = ascii.TrimOWS(item[:i]), item[i+1:]
	}
	if len(item) == 0 {
		return nil, 0, false
	}
	q = 1000
	for len(params) > 0 {
		var p []byte
		if i := indexByte(params, ';'); i >= 0 {
			p, params = ascii.TrimOWS(params[:i]), params[i+1:]
		} else {
			p, params = ascii.TrimOWS(params), nil
		}
		if len(p) >= 2 && (p[0] == 'q' || p[0] == 'Q') && p[1] == '=' {
			v, good := parseQ(p[2:])
			if !good {
				return nil, 0, false
			}
			q = v
		}
	}
	return item, q, true
}

// parseQ reads a qvalue (RFC 9110 §12.4.2: "0" to "1" with at most three
// decimals) in thousandths.
func parseQ(b []byte) (int, bool) {
	if len(b) == 0 || len(b) > 5 || b[0] != '0' && b[0] != '1' {
		return 0, false
	}
	v := int(b[0]-'0') * 1000
	if len(b) == 1 {
		return v, true
	}
	if b[1] != '.' {
		return 0, false
	}
	scale := 100
	for _, d := range b[2:] {
		if d < '0' || d > '9' {
			return 0, false
		}
		v += int(d-'0') * scale
		scale /= 10
	}
	if v > 1000 {
		return 0, false
	}
	return v, true
}

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}
