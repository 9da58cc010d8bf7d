package cache

import (
	"bytes"
	"encoding/binary"

	"github.com/valyala/fasthttp"
)

// The ETags of a URI's other variants (RFC 9111 §4.3.1, §4.3.4). When a
// response varies, the marker stored under the URI's key lists the ETags
// of the variants stored under it (the newest first, at most
// maxVariantTags), each with the hash the variant is stored under. A
// request forwarded for a variant the cache lacks, or holds stale, asks
// with If-None-Match for every one of them: an origin that answers 304
// with one of those ETags says that variant is the representation for this
// request too, and it is served and stored for the request's header values
// without the body crossing the network again (Accept-Encoding spelled
// another way, a language negotiated to the same document).

const (
	// maxVariantTags bounds the ETags a marker lists, and so the
	// If-None-Match a revalidation sends.
	maxVariantTags = 8
	// maxVariantTag is the longest ETag listed; longer ones are left out.
	maxVariantTag = 256
)

// variantTags returns the list a new marker carries: the variant stored now
// (under vh, with etag) first, then the old marker's others.
func variantTags(old *entry, vh uint64, etag []byte) []field {
	var out []field
	if _, ok := opaqueTag(etag); ok && len(etag) <= maxVariantTag {
		out = append(out, field{name: binary.LittleEndian.AppendUint64(nil, vh), value: etag})
	}
	if old == nil {
		return out
	}
	for _, f := range old.hdrs {
		if len(out) == maxVariantTags {
			break
		}
		if binary.LittleEndian.Uint64(f.name) != vh {
			out = append(out, f)
		}
	}
	return out
}

// attachVariants gives f the URI's marker (stored under h) when it lists
// variants' ETags: the forwarded request asks for all of them.
func (c *Cache) attachVariants(req *fasthttp.Request, f *Fill, h uint64) {
	m := c.getL1(h, f.rs, f.key, f.gen, f.epoch)
	if m == nil || m.kind != kindMarker || len(m.hdrs) == 0 || req.IsBodyStream() {
		return
	}
	f.marker = m
	f.condition(req)
}

// condition makes req conditional on what f holds, keeping the client's
// own conditions aside the first time.
func (f *Fill) condition(req *fasthttp.Request) {
	if !f.cond {
		f.saveConditions(req)
		f.cond = true
	}
	setConditions(req, f.stale, f.marker)
}

// selectVariant finds the stored variant a 304's ETag names among those
// f's marker lists, and the hash it is stored under.
func (c *Cache) selectVariant(f *Fill, resp *fasthttp.Response) (*entry, uint64) {
	tag := bytes.TrimSpace(resp.Header.PeekBytes(hdrETag))
	if f.marker == nil || len(tag) == 0 {
		return nil, 0
	}
	for _, t := range f.marker.hdrs {
		if !etagListMatches(tag, t.value) {
			continue
		}
		vh := binary.LittleEndian.Uint64(t.name)
		e := c.getL1(vh, f.rs, f.key, f.gen, f.epoch)
		if e != nil && e.kind == kindResponse && e.markerID == f.marker.markerID && selects(resp, e) {
			return e, vh
		}
	}
	return nil, 0
}
