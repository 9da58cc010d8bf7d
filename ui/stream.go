package ui

import (
	"bufio"
	"encoding/json"
	"time"

	"github.com/valyala/fasthttp"
)

// serveStream is the live feed (Server-Sent Events): a "snapshot" event
// every Interval and, with ?route=PATTERN, a "route" event with that
// route's last 15 minutes. It ends when the client goes, the server shuts
// down, the Dashboard closes, or after StreamLifetime (the browser's
// EventSource reconnects by itself).
func (d *Dashboard) serveStream(ctx *fasthttp.RequestCtx) {
	select {
	case <-d.done:
		writeJSONError(ctx, fasthttp.StatusServiceUnavailable, "dashboard closed")
		return
	default:
	}
	select {
	case d.streams <- struct{}{}:
	default:
		ctx.Response.Header.Set("Retry-After", "5")
		writeJSONError(ctx, fasthttp.StatusServiceUnavailable, "too many live streams")
		return
	}
	route := string(ctx.QueryArgs().Peek("route"))
	serverDone := ctx.Done()
	ctx.SetContentType("text/event-stream")
	ctx.Response.Header.Set("X-Accel-Buffering", "no")
	// The server's write_timeout (default 60 s) would cut a stream that
	// outlives it mid-chunk (the browser logs ERR_INCOMPLETE_CHUNKED_ENCODING):
	// the stream sets its own deadline instead, renewed before every event,
	// so only a client that stops reading for streamWriteSlack is dropped.
	_ = ctx.SetWriteDeadline(time.Now().Add(d.opts.Interval + streamWriteSlack))
	// The writer runs on its own goroutine and may outlive ctx (the server
	// recycles it once the client is gone): it renews the deadline on the
	// connection itself, never through ctx.
	conn := ctx.Conn()
	ctx.SetBodyStreamWriter(func(w *bufio.Writer) {
		defer func() { <-d.streams }()
		tick := time.NewTicker(d.opts.Interval)
		defer tick.Stop()
		life := time.NewTimer(d.opts.StreamLifetime)
		defer life.Stop()
		w.WriteString("retry: 1000\n\n")
		for {
			_ = conn.SetWriteDeadline(time.Now().Add(d.opts.Interval + streamWriteSlack))
			d.writeEvent(w, "snapshot", d.snapshotJSON())
			if route != "" {
				if det, ok := d.src.RouteDetail(route); ok {
					if b, err := json.Marshal(det); err == nil {
						d.writeEvent(w, "route", b)
					}
				}
			}
			if w.Flush() != nil {
				return
			}
			select {
			case <-tick.C:
			case <-d.done:
				return
			case <-serverDone:
				return
			case <-life.C:
				return
			}
		}
	})
}

// streamWriteSlack is how long a live stream's client may stop reading
// before the stream is dropped.
const streamWriteSlack = 15 * time.Second

// writeEvent writes one SSE event; data is one line of JSON.
func (d *Dashboard) writeEvent(w *bufio.Writer, name string, data []byte) {
	w.WriteString("event: ")
	w.WriteString(name)
	w.WriteString("\ndata: ")
	w.Write(data)
	w.WriteString("\n\n")
}
