package cache

import (
	"bytes"
	"fmt"

	"github.com/valyala/fasthttp"
)

// DefaultTargetedField is the response field that steers Premier's cache
// alone (Config.TargetedField).
const DefaultTargetedField = "Premier-Cache-Control"

var (
	hdrCDNCacheControl = []byte("CDN-Cache-Control")
	hdrSurrogateCtl    = []byte("Surrogate-Control")
)

// targeting holds the targeted cache-control fields (RFC 9213) this cache
// obeys, in precedence order: its own field, CDN-Cache-Control, then
// Surrogate-Control.
type targeting struct {
	own       []byte // canonical form of Config.TargetedField
	cdn       bool   // CDN-Cache-Control obeyed
	surrogate bool   // Surrogate-Control obeyed
}

func newTargeting(cfg *Config) targeting {
	name := cfg.TargetedField
	if name == "" {
		name = DefaultTargetedField
	}
	return targeting{own: canonicalName([]byte(name)), cdn: !cfg.IgnoreCDNCacheControl, surrogate: cfg.SurrogateControl}
}

// targetedCC collects the targeted fields of one response. The first of
// them (in precedence order) with a non-empty value replaces Cache-Control
// and Expires for every decision the cache takes (RFC 9213 §2.1); neither
// present, Cache-Control applies.
type targetedCC struct {
	own, cdn, sur          cacheControl
	hasOwn, hasCDN, hasSur bool
}

// add reads field k: v if it is one of t's targeted fields and reports
// whether it was.
func (tc *targetedCC) add(t *targeting, k, v []byte) bool {
	switch {
	case bytes.EqualFold(k, t.own):
		takeField(&tc.own, &tc.hasOwn, v, (*cacheControl).parse)
	case t.cdn && bytes.EqualFold(k, hdrCDNCacheControl):
		takeField(&tc.cdn, &tc.hasCDN, v, (*cacheControl).parse)
	case t.surrogate && bytes.EqualFold(k, hdrSurrogateCtl):
		takeField(&tc.sur, &tc.hasSur, v, (*cacheControl).parseSurrogate)
	default:
		return false
	}
	return true
}

// takeField adds one line of a targeted field to cc: the first line with
// a value starts it afresh, and has says whether any line had one.
func takeField(cc *cacheControl, has *bool, v []byte, parse func(*cacheControl, []byte)) {
	if !*has {
		cc.reset()
	}
	*has = *has || len(bytes.TrimSpace(v)) > 0
	parse(cc, v)
}

// parseSurrogate adds the directives of one Surrogate-Control value (W3C
// Edge Architecture 1.0): those addressed to every surrogate, that is
// without a `;device` suffix (one addressed to a named surrogate is not
// for us), with max-age's `+freshness-extension` ignored; `no-store` and
// `no-store-remote` both mean no-store. It does not allocate.
func (cc *cacheControl) parseSurrogate(v []byte) {
	for len(v) > 0 {
		var d []byte
		d, v = nextItem(v)
		if bytes.IndexByte(d, ';') >= 0 {
			continue
		}
		name, arg := d, []byte(nil)
		if i := bytes.IndexByte(d, '='); i >= 0 {
			name, arg = bytes.TrimSpace(d[:i]), bytes.TrimSpace(d[i+1:])
			if j := bytes.IndexByte(arg, '+'); j >= 0 {
				arg = arg[:j]
			}
		}
		switch {
		case bytes.EqualFold(name, ccNoStore), bytes.EqualFold(name, ccNoStoreRemote):
			cc.noStore = true
		case bytes.EqualFold(name, ccMaxAge):
			cc.maxAge = deltaSeconds(arg)
		}
	}
}

var ccNoStoreRemote = []byte("no-store-remote")

// pick returns the directives that apply: the targeted field's, or nil
// when Cache-Control (and Expires) do.
func (tc *targetedCC) pick() *cacheControl {
	switch {
	case tc.hasOwn:
		return &tc.own
	case tc.hasCDN:
		return &tc.cdn
	case tc.hasSur:
		return &tc.sur
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
	if t.surrogate {
		resp.Header.DelBytes(hdrSurrogateCtl)
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
	for _, std := range []string{fasthttp.HeaderCacheControl, string(hdrCDNCacheControl), string(hdrSurrogateCtl), fasthttp.HeaderExpires} {
		if bytes.EqualFold([]byte(name), []byte(std)) {
			return fmt.Errorf("targeted_field: must not be %s, which has its own meaning", std)
		}
	}
	return nil
}
