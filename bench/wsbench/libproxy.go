package main

import (
	"net"

	"github.com/fasthttp/websocket"
	"github.com/valyala/fasthttp"
)

// runLibProxy serves a WebSocket proxy using github.com/fasthttp/websocket
// on both sides: each message is read whole (unmasked), then written again
// (re-masked towards the backend). Two goroutines per connection.
func runLibProxy(listen, backend string) error {
	up := websocket.FastHTTPUpgrader{
		ReadBufferSize: 1024, WriteBufferSize: 1024,
		CheckOrigin: func(*fasthttp.RequestCtx) bool { return true },
	}
	d := websocket.Dialer{ReadBufferSize: 1024, WriteBufferSize: 1024}
	h := func(ctx *fasthttp.RequestCtx) {
		bc, _, err := d.Dial(backend+string(ctx.RequestURI()), nil)
		if err != nil {
			ctx.Error("bad gateway", fasthttp.StatusBadGateway)
			return
		}
		err = up.Upgrade(ctx, func(cc *websocket.Conn) {
			done := make(chan struct{})
			go func() { pipe(bc, cc); close(done) }()
			pipe(cc, bc)
			<-done
		})
		if err != nil {
			bc.Close()
		}
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return err
	}
	return (&fasthttp.Server{Handler: h}).Serve(ln)
}

// pipe copies messages from src to dst until src fails, then closes both.
func pipe(src, dst *websocket.Conn) {
	defer src.Close()
	defer dst.Close()
	buf := make([]byte, 4096)
	for {
		mt, r, err := src.NextReader()
		if err != nil {
			return
		}
		w, err := dst.NextWriter(mt)
		if err != nil {
			return
		}
		for {
			n, rerr := r.Read(buf)
			if n > 0 {
				if _, err := w.Write(buf[:n]); err != nil {
					return
				}
			}
			if rerr != nil {
				break
			}
		}
		if w.Close() != nil {
			return
		}
	}
}
