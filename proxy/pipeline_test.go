package proxy

import (
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/premier-gateway/premier/proxy/config"
)

// connCountingBackend serves h and counts the connections it accepted.
func connCountingBackend(t *testing.T, h fasthttp.RequestHandler) (string, *atomic.Int64) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns atomic.Int64
	srv := &fasthttp.Server{Handler: h, CloseOnShutdown: true, ConnState: func(_ net.Conn, s fasthttp.ConnState) {
		if s == fasthttp.StateNew {
			conns.Add(1)
		}
	}}
	go srv.Serve(ln) //nolint:errcheck
	t.Cleanup(func() { _ = srv.Shutdown(); _ = ln.Close() })
	return "http://" + ln.Addr().String(), &conns
}

func echoPath(ctx *fasthttp.RequestCtx) {
	ctx.Response.Header.Set("X-Method", string(ctx.Method()))
	ctx.SetBodyString(string(ctx.Path()) + ":" + string(ctx.PostBody()))
}

func TestPipelineSharesConnections(t *testing.T) {
	backend, conns := connCountingBackend(t, echoPath)
	h := startGateway(t, configYAML(backend, "  lb: {pipeline: 2}\n"))
	var wg sync.WaitGroup
	var bad atomic.Int64
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				path := fmt.Sprintf("/p/%d/%d", w, i)
				resp, body := do(t, "GET", h.url+path, nil, nil)
				if resp.StatusCode != 200 || body != path+":" {
					bad.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if bad.Load() != 0 {
		t.Fatalf("%d of 320 pipelined answers were wrong", bad.Load())
	}
	if n := conns.Load(); n > 2 {
		t.Fatalf("backend saw %d connections for 320 GETs over 16 clients, want at most 2 pipelined ones", n)
	}
	// A POST (a body, not idempotent) takes the ordinary pool, body intact.
	resp, body := do(t, "POST", h.url+"/post", strings.NewReader("payload"), nil)
	if resp.StatusCode != 200 || body != "/post:payload" || resp.Header.Get("X-Method") != "POST" {
		t.Fatalf("POST beside a pipelined group: %d %q", resp.StatusCode, body)
	}
	// HEAD takes the pool too (never pipelined) and has no body.
	resp, body = do(t, "HEAD", h.url+"/head", nil, nil)
	if resp.StatusCode != 200 || body != "" {
		t.Fatalf("HEAD: %d %q", resp.StatusCode, body)
	}
}

func TestPipelinePerPathGroupOnly(t *testing.T) {
	piped, pipedConns := connCountingBackend(t, echoPath)
	plain, plainConns := connCountingBackend(t, echoPath)
	h := startGateway(t, configYAML(plain, `  paths:
    - pattern: /piped/*
      servers: ["`+piped+`"]
      lb: {pipeline: 1}
`))
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 10; i++ {
				do(t, "GET", h.url+"/piped/x", nil, nil)
				do(t, "GET", h.url+"/plain", nil, nil)
			}
		}()
	}
	wg.Wait()
	if n := pipedConns.Load(); n != 1 {
		t.Fatalf("pipelined group used %d connections, want 1", n)
	}
	if n := plainConns.Load(); n < 2 {
		t.Fatalf("plain group used %d connections for 8 concurrent clients: it was pipelined", n)
	}
}

func TestPipelineSurvivesBackendClosing(t *testing.T) {
	var n atomic.Int64
	backend, _ := connCountingBackend(t, func(ctx *fasthttp.RequestCtx) {
		if n.Add(1)%3 == 0 {
			ctx.SetConnectionClose() // the backend ends the pipelined connection
		}
		ctx.SetBodyString("ok")
	})
	h := startGateway(t, configYAML(backend, "  lb: {pipeline: 1}\n"))
	for i := 0; i < 30; i++ {
		if resp, body := do(t, "GET", h.url+"/x", nil, nil); resp.StatusCode != 200 || body != "ok" {
			t.Fatalf("request %d after the backend closed its pipelined connection: %d %q", i, resp.StatusCode, body)
		}
	}
}

func TestPipelineRouteTimeout(t *testing.T) {
	backend, _ := connCountingBackend(t, func(ctx *fasthttp.RequestCtx) {
		if string(ctx.Path()) == "/slow" {
			time.Sleep(time.Second)
		}
		ctx.SetBodyString("ok")
	})
	h := startGateway(t, configYAML(backend, `  lb: {pipeline: 1}
  default_features:
    timeout: {seconds: 0.2}
`))
	start := time.Now()
	resp, _ := do(t, "GET", h.url+"/slow", nil, nil)
	if took := time.Since(start); resp.StatusCode != 504 || took > 900*time.Millisecond {
		t.Fatalf("pipelined slow request: %d after %v, want 504 near 0.2 s", resp.StatusCode, took)
	}
}

func TestPipelineConfigErrors(t *testing.T) {
	for bad, want := range map[string]string{"-1": "pipeline: must be 0 (off) to 64", "65": "pipeline: must be 0 (off) to 64", "x": "expected an integer"} {
		_, err := config.Parse("p.yaml", []byte("premier:\n  servers: [\"http://127.0.0.1:1\"]\n  lb: {pipeline: "+bad+"}\n"))
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "p.yaml:3:") {
			t.Fatalf("pipeline %s: %v", bad, err)
		}
	}
}
