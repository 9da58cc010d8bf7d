package proxy

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/premier-gateway/premier/proxy/config"
)

const pluginYAML = `premier:
  paths:
    - pattern: /slow
      features:
        timeout: {seconds: 0.1, error_message: "app too slow"}
    - pattern: /api/users/{id}
`

func TestPluginModeFastHTTP(t *testing.T) {
	l, err := config.Parse("plugin.yaml", []byte(pluginYAML))
	if err != nil {
		t.Fatal(err)
	}
	app := func(ctx *fasthttp.RequestCtx) {
		if string(ctx.Path()) == "/slow" {
			time.Sleep(400 * time.Millisecond)
		}
		ctx.SetBodyString("app:" + string(ctx.Path()))
	}
	gw, err := New(l, WithHandler(app), WithLogger(discardLogger()))
	if err != nil {
		t.Fatal(err)
	}
	defer gw.Close()
	url := serveGateway(t, gw)
	if _, body := do(t, "GET", url+"/api/users/7", nil, nil); body != "app:/api/users/7" {
		t.Fatalf("plugin pass: %q", body)
	}
	if _, body := do(t, "GET", url+"//api/./users/7", nil, nil); body != "app:/api/users/7" {
		t.Fatalf("the app sees the normalised path: %q", body)
	}
	resp, body := do(t, "GET", url+"/slow", nil, nil)
	if resp.StatusCode != 504 || body != `{"error":"app too slow"}` || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("plugin timeout: %d %q %q", resp.StatusCode, body, resp.Header.Get("Content-Type"))
	}
	if resp, _ := do(t, "GET", url+"/__premier", nil, nil); resp.StatusCode != 200 {
		t.Fatalf("reserved prefix in plugin mode: %d", resp.StatusCode)
	}
}

func TestPluginModeNetHTTP(t *testing.T) {
	l, err := config.Parse("plugin.yaml", []byte(pluginYAML))
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/api/users/{id}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-App", "net/http")
		_, _ = w.Write([]byte("user " + r.PathValue("id")))
	})
	gw, err := New(l, WithHTTPHandler(mux), WithLogger(discardLogger()))
	if err != nil {
		t.Fatal(err)
	}
	defer gw.Close()
	url := serveGateway(t, gw)
	resp, body := do(t, "GET", url+"/api/users/42", nil, nil)
	if body != "user 42" || resp.Header.Get("X-App") != "net/http" {
		t.Fatalf("net/http plugin: %q %v", body, resp.Header)
	}
	if resp, _ := do(t, "GET", url+"/nothing", nil, nil); resp.StatusCode != 404 {
		t.Fatalf("mux 404 passes through: %d", resp.StatusCode)
	}
	if strings.Contains(body, "premier") {
		t.Fatal("unexpected")
	}
}
