//go:build !race

package proxy

import (
	"bytes"
	"crypto/tls"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// A rapid-reset flood through the real gateway (rules, a real backend):
// the flooding connection gets GOAWAY ENHANCE_YOUR_CALM and is closed, the
// flood shows in premier_http2_floods_total, and another HTTP/2 client is
// answered meanwhile, within its normal timeout.
func TestHTTP2GatewayRapidReset(t *testing.T) {
	backend := startBackend(t, func(ctx *fasthttp.RequestCtx) {
		time.Sleep(10 * time.Millisecond)
		ctx.SetBodyString("ok")
	})
	ca, leaf := localLeaf(t)
	h := startTLSGateway(t, ca, configYAML(backend, tlsBlock(leaf, "")))
	addr := h.tlsAddr
	base := "https://" + addr

	cfg := ca.ClientConfig("localhost")
	cfg.NextProtos = []string{"h2"}
	c, err := tls.Dial("tcp", addr, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fr := http2.NewFramer(c, c)
	var hb bytes.Buffer
	enc := hpack.NewEncoder(&hb)
	for _, f := range [][2]string{{":method", "GET"}, {":scheme", "https"}, {":authority", addr}, {":path", "/api"}} {
		_ = enc.WriteField(hpack.HeaderField{Name: f[0], Value: f[1]})
	}
	if _, err := io.WriteString(c, http2.ClientPreface); err != nil || fr.WriteSettings() != nil {
		t.Fatal("preface:", err)
	}
	go func() {
		for id := uint32(1); ; id += 2 {
			if fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: hb.Bytes(), EndStream: true, EndHeaders: true}) != nil ||
				fr.WriteRSTStream(id, http2.ErrCodeCancel) != nil {
				return
			}
		}
	}()

	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{ForceAttemptHTTP2: true, TLSClientConfig: ca.ClientConfig("localhost")}}
	defer client.CloseIdleConnections()
	resp, err := client.Get(base + "/during")
	if err != nil || resp.StatusCode != 200 || resp.Proto != "HTTP/2.0" {
		t.Fatalf("another client during the flood: %v %v", resp, err)
	}
	resp.Body.Close()

	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	var goAway *http2.GoAwayFrame
	for {
		f, err := fr.ReadFrame()
		if err != nil {
			if ne, ok := err.(interface{ Timeout() bool }); ok && ne.Timeout() {
				t.Fatal("the flooding connection stayed open")
			}
			break
		}
		if ga, ok := f.(*http2.GoAwayFrame); ok {
			goAway = ga
		}
	}
	if goAway == nil || goAway.ErrCode != http2.ErrCodeEnhanceYourCalm {
		t.Fatalf("GOAWAY: %v", goAway)
	}
	var m bytes.Buffer
	h.gw.writePrometheus(&m)
	if body := m.String(); !strings.Contains(body, "premier_http2_floods_total 1\n") {
		t.Fatalf("metrics do not count the flood:\n%s", grepLines(body, "http2"))
	}
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
