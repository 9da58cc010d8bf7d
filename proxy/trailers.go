package proxy

import "github.com/valyala/fasthttp"

// dropTrailers removes a request's trailer section, as nginx and Envoy do:
// a backend never sees a field the client put after the body, where the
// gateway's header checks (client overrides, forwarding headers) do not
// look. fasthttp keeps trailer fields in the request header, announced in
// its Trailer set; deleting Trailer alone would move their values into the
// header section, so each named field goes first. A field the client also
// sent upfront under a trailer's name goes with it. Rare path: fasthttp's
// trailer iterator may allocate.
func dropTrailers(h *fasthttp.RequestHeader) {
	for name := range h.Trailers() {
		h.DelBytes(name)
	}
	h.Del(fasthttp.HeaderTrailer)
}
