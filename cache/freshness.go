package cache

import (
	"net/http"
	"time"
)

// Heuristic freshness (RFC 9111 §4.2.2): a response with no explicit
// lifetime but a Last-Modified is fresh for a tenth of the time since it
// was last modified, at most heuristicCap (a day, past which §4.2.2 would
// have caches warn; Apache Traffic Server caps at a day too).
const (
	heuristicDivisor = 10
	heuristicCap     = 24 * time.Hour
)

// freshInputs are the fields of a backend response that freshness and age
// are computed from (RFC 9111 §4.2.1, §4.2.3), as raw views; they are read
// once per stored response, never on a hit.
type freshInputs struct {
	cc           *cacheControl // the directives that apply to us (targeted field or Cache-Control)
	date         []byte        // Date
	expires      []byte        // Expires, when hasExpires
	lastModified []byte        // Last-Modified
	hasExpires   bool
	age          int64 // Age, seconds; 0 when absent
}

// lifetime is the response's freshness lifetime in ns (§4.2.1: s-maxage,
// else max-age, else Expires − Date, else the heuristic when Last-Modified
// allows one), measured from date (unix ns). ok is false when the response
// carries no freshness information at all: such a response is never
// reused. An Expires that does not parse means already expired (§5.3).
func (in *freshInputs) lifetime(date int64) (ns int64, ok bool) {
	switch {
	case in.cc.sMaxAge >= 0:
		return in.cc.sMaxAge * int64(time.Second), true
	case in.cc.maxAge >= 0:
		return in.cc.maxAge * int64(time.Second), true
	case in.hasExpires:
		exp, valid := httpDateNanos(in.expires)
		if !valid {
			return 0, true
		}
		return exp - date, true
	case len(in.lastModified) > 0:
		lm, valid := httpDateNanos(in.lastModified)
		if valid && lm < date {
			return min((date-lm)/heuristicDivisor, int64(heuristicCap)), true
		}
	}
	return 0, false
}

// freshness is what freshFor derives for an entry: the entry serves while
// now − storedAt < ttl, and its Age is age0 + (now − storedAt) seconds;
// stale is what the response says about its use past that (set by storable).
type freshness struct {
	storedAt int64 // unix ns
	ttl      int64 // ns of freshness left at storedAt
	age0     int64 // whole seconds of age at storedAt
	stale    staleDirectives
}

// freshFor computes an entry's freshness from the backend response (RFC
// 9111 §4.2.3): reqAt is when the request was sent, respAt when the
// response arrived (both unix ns); override is the rule's expire_s in ns
// (0: none), which replaces the response's lifetime and makes a response
// without freshness information storable. ok is false when the response
// may not be reused at all; a ttl ≤ 0 means it arrived already stale.
//
// The corrected initial age is the larger of the apparent age (respAt −
// Date) and the response's Age plus the request's round trip, so a slow
// origin or a Date in the past ages the entry. storedAt is respAt moved
// back by the age's fraction of a second, so age0 is whole seconds and the
// Age sent on a hit is exact without storing nanoseconds of age.
func freshFor(in *freshInputs, override, reqAt, respAt int64) (f freshness, ok bool) {
	date := respAt // RFC 9110 §6.6.1: a response without Date is dated on arrival
	if d, valid := httpDateNanos(in.date); valid {
		date = d
	}
	apparent := max(respAt-date, 0)
	corrected := in.age*int64(time.Second) + max(respAt-reqAt, 0)
	initial := max(apparent, corrected)
	frac := initial % int64(time.Second)
	f.storedAt, f.age0 = respAt-frac, initial/int64(time.Second)
	if override > 0 {
		f.ttl = override + frac
		return f, true
	}
	life, ok := in.lifetime(date)
	if !ok {
		return f, false
	}
	f.ttl = life - f.age0*int64(time.Second)
	return f, true
}

// httpDateNanos reads an HTTP-date in any of the three formats RFC 9110
// §5.6.7 requires a recipient to accept, as unix ns: the IMF-fixdate
// without allocating (parseHTTPDate), the obsolete RFC 850 and asctime
// forms through net/http (the miss path only).
func httpDateNanos(b []byte) (int64, bool) {
	sec, ok := parseHTTPDate(b)
	if !ok {
		if len(b) == 0 {
			return 0, false
		}
		t, err := http.ParseTime(string(b))
		if err != nil {
			return 0, false
		}
		sec = t.Unix()
	}
	// Clamp to what nanoseconds hold (about year 2242): "Expires: Fri, 31
	// Dec 9999" means "far away", not an overflow.
	return min(max(sec, -maxDateSeconds), maxDateSeconds) * int64(time.Second), true
}

const maxDateSeconds = 1 << 33
