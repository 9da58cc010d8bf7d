// Command backend is the demo application behind `make run` and the origin
// server of the benchmarks in bench/. It is a small fasthttp server with a
// handful of predictable endpoints (fixed-size bodies, echo, status codes,
// slow and flaky responses, a WebSocket echo); every response carries
// `X-Backend: <name>` so load-balancing is visible from the client.
//
//	go run ./bench/backend -listen 127.0.0.1:9001 -name app1
package main

import (
	"flag"
	"log"
	"net"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:9001", "address to listen on")
	name := flag.String("name", "backend", "value of the X-Backend response header")
	flag.Parse()

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatalf("backend: %v", err)
	}
	b := newBackend(*name)
	srv := b.server()

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		<-stop
		_ = srv.Shutdown()
	}()

	log.Printf("backend %q listening on http://%s", *name, ln.Addr())
	if err := srv.Serve(ln); err != nil {
		log.Fatalf("backend: %v", err)
	}
}
