package h2

import (
	"bytes"
	"net/http"
	"sync"

	"github.com/valyala/fasthttp"
)

// copyBufs are the buffers streamed bodies are copied through.
var copyBufs = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

// writeResponse writes the handler's response to the stream: status,
// header fields less the connection-specific ones (RFC 9113 §8.2.2), the
// body (a streamed one flushed as it comes, so server-sent events reach
// the client event by event), then trailers. A response body stream is
// closed in every case, which hands a backend connection back or releases
// what the body held.
func writeResponse(w http.ResponseWriter, resp *fasthttp.Response, head bool) {
	defer resp.CloseBodyStream() //nolint:errcheck // nothing to tell the client now
	status := resp.StatusCode()
	if status < 200 {
		// A final answer cannot be informational; the gateway relays
		// 101 only to a WebSocket upgrade, which HTTP/2 cannot carry.
		status = http.StatusBadGateway
		resp.ResetBody()
	}
	hdr := w.Header()
	trailers := trailerNames(&resp.Header)
	for k, v := range resp.Header.All() {
		if connectionSpecific(k) || isTrailer(trailers, k) {
			continue
		}
		key := http.CanonicalHeaderKey(string(k))
		hdr[key] = append(hdr[key], string(v))
	}
	// The library works the length out itself for a body written whole;
	// a stream's declared length was in the header (ContentLength < 0:
	// unknown, sent as DATA frames until END_STREAM).
	w.WriteHeader(status)
	if !head && bodyAllowed(status) {
		if resp.IsBodyStream() {
			streamBody(w, resp)
		} else {
			_, _ = w.Write(resp.Body())
		}
	}
	for _, name := range trailers {
		if v := resp.Header.Peek(name); len(v) > 0 {
			hdr[http.TrailerPrefix+name] = []string{string(v)}
		}
	}
}

// streamBody copies a body stream to the client, flushing after every
// read. It stops at the first failed write (the client reset the stream
// or went away).
func streamBody(w http.ResponseWriter, resp *fasthttp.Response) {
	bp := copyBufs.Get().(*[]byte)
	defer copyBufs.Put(bp)
	buf := *bp
	body := resp.BodyStream()
	flusher, _ := w.(http.Flusher)
	for {
		n, err := body.Read(buf)
		if n > 0 {
			if _, werr := w.Write(buf[:n]); werr != nil {
				return
			}
			if flusher != nil {
				flusher.Flush()
			}
		}
		if err != nil {
			return // io.EOF, or a backend that failed mid-body: the stream ends
		}
	}
}

// bodyAllowed reports whether a response with status carries a body.
func bodyAllowed(status int) bool {
	return status != http.StatusNoContent && status != http.StatusNotModified
}

// connSpecific are the fields HTTP/2 never carries (RFC 9113 §8.2.2),
// and Trailer, which the library writes itself from the trailers.
var connSpecific = [][]byte{
	[]byte("Connection"), []byte("Keep-Alive"), []byte("Proxy-Connection"),
	[]byte("Transfer-Encoding"), []byte("Upgrade"), []byte("TE"), []byte("Trailer"),
}

func connectionSpecific(k []byte) bool {
	for _, c := range connSpecific {
		if bytes.EqualFold(k, c) {
			return true
		}
	}
	return false
}

// trailerNames are the response's announced trailer fields, or nil.
func trailerNames(h *fasthttp.ResponseHeader) []string {
	var names []string
	for name := range h.Trailers() {
		names = append(names, http.CanonicalHeaderKey(string(name)))
	}
	return names
}

func isTrailer(names []string, k []byte) bool {
	for _, n := range names {
		if bytes.EqualFold(k, []byte(n)) {
			return true
		}
	}
	return false
}
