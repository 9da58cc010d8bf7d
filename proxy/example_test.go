package proxy_test

import (
	"context"
	"fmt"
	"log"
	"net"
	"net/http"

	"github.com/valyala/fasthttp"

	"github.com/premier-gateway/premier/proxy"
	"github.com/premier-gateway/premier/proxy/config"
)

const gatewayYAML = `premier:
  paths:
    - pattern: /api/users/{id}
      features:
        timeout: {seconds: 5}
        monitoring: {log_threshold: 0.5}
`

// Plugin mode: Premier's policies in front of an in-process fasthttp handler.
func ExampleWithHandler() {
	cfg, err := config.Parse("gateway.yaml", []byte(gatewayYAML))
	if err != nil {
		log.Fatal(err)
	}
	app := func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString("hello from the app") }
	gw, err := proxy.New(cfg, proxy.WithHandler(app))
	if err != nil {
		log.Fatal(err)
	}
	defer gw.Close()

	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	ctx, stop := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- gw.Serve(ctx, ln) }() // until ctx is cancelled, then drain
	defer func() { stop(); <-served }()

	_, body, _ := fasthttp.Get(nil, "http://"+ln.Addr().String()+"/api/users/1")
	fmt.Println(string(body))
	// Output: hello from the app
}

// Plugin mode in front of a net/http handler.
func ExampleWithHTTPHandler() {
	cfg, err := config.Parse("gateway.yaml", []byte(gatewayYAML))
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/api/users/{id}", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "user %s", r.PathValue("id"))
	})
	gw, err := proxy.New(cfg, proxy.WithHTTPHandler(mux))
	if err != nil {
		log.Fatal(err)
	}
	defer gw.Close()

	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	ctx, stop := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- gw.Serve(ctx, ln) }()
	defer func() { stop(); <-served }()

	_, body, _ := fasthttp.Get(nil, "http://"+ln.Addr().String()+"/api/users/42")
	fmt.Println(string(body))
	// Output: user 42
}
