package cache

import (
	"bytes"
	"fmt"

	"github.com/valyala/fasthttp"
)

// DefaultTargetedField is the response field that steers Premier's cache
// alone (Config.TargetedField).
const DefaultTargetedField = "Premier-Cache-Control"

var hdrCDNCacheControl = []byte("CDN-Cache-Control")

// targeting holds the targeted cache-control fields (RFC 9213) this cache
// obeys, in precedence order: its own field, then CDN-Cache-Control.
type targeting struct {
	own []byte // canonical form of Config.TargetedField
	cdn bool   // CDN-Cache-Control obeyed
}

func newTargeting(cfg *Config) targeting {
	name := cfg.TargetedField
	if name == "" {
		name = DefaultTargetedField
	}
	return targeting{own: canonicalName([]byte(name)), cdn: !cfg.IgnoreCDNCacheControl}
}

// targetedCC collects the targeted fields of one response. The first of
// them (in precedence order) with a non-empty value replaces Cache-Control
// and Expires for every decision the cache takes (RFC 9213 §2.1); neither
// present, Cache-Control applies.
type targetedCC struct {
	own, cdn       cacheControl
	hasOwn, hasCDN bool
}

// add reads field k: v if it is one of t's targeted fields and reports
// whether it was.
func (tc *targetedCC) add(t *targeting, k, v []byte) bool {
	switch {
	case bytes.EqualFold(k, t.own):
		if !tc.hasOwn {
			tc.own.reset()
		}
		tc.hasOwn = tc.hasOwn || len(bytes.TrimSpace(v)) > 0
		tc.own.parse(v)
		return true
	case t.cdn && bytes.EqualFold(k, hdrCDNCacheControl):
		if !tc.hasCDN {
			tc.cdn.reset()
		}
		tc.hasCDN = tc.hasCDN || len(bytes.TrimSpace(v)) > 0
		tc.cdn.parse(v)
		return true
	}
	return false
}

// pick returns the directives that apply: the targeted field's, or nil
// when Cache-Control (and Expires) do.
func (tc *targetedCC) pick() *cacheControl {
	switch {
	case tc.hasOwn:
		return &tc.own
	case tc.hasCDN:
		return &tc.cdn
	}
	return nil
}

// strip removes the targeted fields this cache obeys from a response it
// handled: they are addressed to this cache, not to clients or caches
// downstream (RFC 9213 §2.1 lets a targeted cache remove them).
func (t *targeting) strip(resp *fasthttp.Response) {
	resp.Header.DelBytes(t.own)
	if t.cdn {
		resp.Header.DelBytes(hdrCDNCacheControl)
	}
}

// validTargetedField reports a problem with Config.TargetedField: it must
// be a field name (RFC 9110 token) other than the standard ones.
func validTargetedField(name string) error {
	if name == "" {
		return nil
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || bytes.IndexByte([]byte("!#$%&'*+-.^_`|~"), c) >= 0) {
			return fmt.Errorf("targeted_field: %q is not a header field name", name)
		}
	}
	for _, std := range []string{fasthttp.HeaderCacheControl, string(hdrCDNCacheControl), fasthttp.HeaderExpires} {
		if bytes.EqualFold([]byte(name), []byte(std)) {
			return fmt.Errorf("targeted_field: must not be %s, which has its own meaning", std)
		}
	}
	return nil
}
