package proxy

import (
	"io"
	"sync"

	"github.com/valyala/fasthttp"

	"github.com/premier-gateway/premier/proxy/upstream"
)

// The body budget (limits.max_buffered_body_bytes, g.bodies) bounds the
// bytes of bodies held whole at once across all requests. Without it, 60
// clients that do not read, each asking a cached rule for its own 8 MiB
// body, held 60 bodies read whole until the write to them timed out.
// Three holders reserve from it, and past it each falls back to streaming,
// never to an error:
//
//   - a response body over upstream.FreeBody read whole (cached rules
//     read up to cache.max_entry_bytes) reserves its length in
//     upstream.RoundTrip; refused, it streams and is not stored
//     (Cache-Status detail=memory-budget). The reservation lasts until the
//     body has been written to the client or dropped (settleBodies);
//   - a request body kept for a retry to replay reserves its length in
//     plan.attempts; refused, it streams once and is not retried. Its
//     reservation ends with the handler;
//   - a pipelined response body over upstream.FreeBody, read whole by its
//     connection before the next, is counted even past the limit (it
//     cannot stream instead) and given back as a held body is.

// settleBodies runs when the handler ends, on every path. It gives back
// the replay reservation, and hands the response body held against the
// budget (s.whole.Held) to the server as a stream that gives its bytes
// back once written or dropped (heldBody): the client may take its time
// reading it, and until then the bytes are still held. A held body the
// response no longer carries (an error answer replaced it) is given back
// at once.
func (g *Gateway) settleBodies(ctx *fasthttp.RequestCtx, s *scratch) {
	if s.replay > 0 {
		g.bodies.Release(s.replay)
		s.replay = 0
	}
	s.whole.Refused = false
	held := s.whole.Held
	if held == nil {
		return
	}
	s.whole.Held = nil
	resp := &ctx.Response
	if !resp.IsBodyStream() && !ctx.Hijacked() && sameBytes(resp.Body(), held) {
		hb := heldBodies.Get().(*heldBody)
		hb.b, hb.off, hb.budget = held, 0, &g.bodies
		resp.SetBodyStream(hb, len(held))
		return
	}
	g.bodies.Release(int64(len(held)))
}

// sameBytes reports whether a and b are the same bytes in memory.
func sameBytes(a, b []byte) bool {
	return len(a) == len(b) && len(a) > 0 && &a[0] == &b[0]
}

// heldBody is a response body read whole against the body budget, sent
// to the client as a stream of known length so that fasthttp closes it
// once it has written it (or drops the response): Close gives the bytes
// back to the budget.
type heldBody struct {
	b      []byte
	off    int
	budget *upstream.BodyBudget
}

var heldBodies = sync.Pool{New: func() any { return new(heldBody) }}

func (h *heldBody) Read(p []byte) (int, error) {
	if h.off >= len(h.b) {
		return 0, io.EOF
	}
	n := copy(p, h.b[h.off:])
	h.off += n
	return n, nil
}

// WriteTo writes the rest in one write: a large one goes past the
// server's write buffer straight to the connection.
func (h *heldBody) WriteTo(w io.Writer) (int64, error) {
	n, err := w.Write(h.b[h.off:])
	h.off += n
	return int64(n), err
}

// SupportsBodyWriteTo lets fasthttp use WriteTo (fasthttp.BodyWriterTo).
func (h *heldBody) SupportsBodyWriteTo() bool { return true }

// Close gives the bytes back to the budget; fasthttp calls it once.
func (h *heldBody) Close() error {
	if h.budget == nil { // closed already
		return nil
	}
	h.budget.Release(int64(len(h.b)))
	*h = heldBody{}
	heldBodies.Put(h)
	return nil
}
