package proxy

import (
	"context"
	"crypto/tls"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/premier-gateway/premier/internal/syncbuf"
	"github.com/premier-gateway/premier/internal/tlstest"
	"github.com/premier-gateway/premier/proxy/config"
)

// tlsHarness is a gateway serving one config on a plain and a TLS
// listener at once.
type tlsHarness struct {
	*gwHarness
	tlsAddr string // host:port of the TLS listener
	ca      *tlstest.CA
	client  *http.Client // trusts ca, keep-alive
}

// tlsBlock is the tls block serving leaf's files.
func tlsBlock(leaf *tlstest.Issued, extra string) string {
	return "  tls:\n    certificates:\n      - {cert_file: \"" + leaf.CertFile + "\", key_file: \"" + leaf.KeyFile + "\"}\n" + extra
}

// startTLSGateway serves yamlText (which has a tls block with a
// certificate for 127.0.0.1 and localhost from ca) on both listeners
// until the test ends.
func startTLSGateway(t *testing.T, ca *tlstest.CA, yamlText string) *tlsHarness {
	t.Helper()
	return startTLSGatewayWith(t, ca, yamlText, nil)
}

// listenTLS opens gw's TLS listener on 127.0.0.1; the test serves it.
func listenTLS(t testing.TB, gw *Gateway) net.Listener {
	t.Helper()
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tln, err := gw.ListenTLS(raw, TLSOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return tln
}

// startTLSGatewayWith is startTLSGateway with setup run on the gateway
// before its TLS listener opens.
func startTLSGatewayWith(t *testing.T, ca *tlstest.CA, yamlText string, setup func(*Gateway)) *tlsHarness {
	t.Helper()
	l, err := config.Parse("test.yaml", []byte(yamlText))
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	logs := &syncbuf.Buffer{}
	gw, err := New(l, WithLogger(slog.New(slog.NewTextHandler(logs, nil))))
	if err != nil {
		t.Fatal(err)
	}
	if setup != nil {
		setup(gw)
	}
	tln := listenTLS(t, gw)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = gw.Serve(ctx, tln); close(done) }()
	url := serveGateway(t, gw) // registered after: its cleanup runs first, then ours
	t.Cleanup(func() { cancel(); <-done })
	tr := &http.Transport{TLSClientConfig: ca.ClientConfig("localhost"), MaxIdleConnsPerHost: 8}
	t.Cleanup(tr.CloseIdleConnections)
	return &tlsHarness{
		gwHarness: &gwHarness{gw: gw, addr: strings.TrimPrefix(url, "http://"), url: url, logs: logs},
		tlsAddr:   tln.Addr().String(), ca: ca,
		client: &http.Client{Timeout: 20 * time.Second, Transport: tr},
	}
}

// get sends GET target to the listener (https or not) with the headers
// given and returns status and body.
func (h *tlsHarness) get(t *testing.T, https bool, target string, hdr map[string]string) (int, http.Header, string) {
	t.Helper()
	url := h.url + target
	if https {
		url = "https://" + h.tlsAddr + target
	}
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		if k == "Host" {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	client := httpClient
	if https {
		client = h.client
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if https && (resp.TLS == nil || resp.TLS.HandshakeComplete == false) {
		t.Fatalf("GET %s: not over TLS", url)
	}
	return resp.StatusCode, resp.Header, string(b)
}

func localLeaf(t *testing.T) (*tlstest.CA, *tlstest.Issued) {
	ca := tlstest.NewCA(t)
	return ca, ca.Issue(tlstest.Leaf{Names: []string{"localhost", "127.0.0.1"}})
}

// TestTLSForwardingHeaders: through the TLS listener to a real backend,
// X-Forwarded-Proto is https and Forwarded carries proto=https (a
// client's forged ones replaced; a trusted proxy's Forwarded kept in
// front); through the plain listener of the same gateway, http and no
// Forwarded, as before.
func TestTLSForwardingHeaders(t *testing.T) {
	ca, leaf := localLeaf(t)
	for _, trusted := range []bool{false, true} {
		b := startRecBackend(t)
		extra := ""
		if trusted {
			extra = "  trusted_proxies: [127.0.0.1/32]\n"
		}
		h := startTLSGateway(t, ca, configYAML(b.url, extra+tlsBlock(leaf, "")))
		forged := map[string]string{"X-Forwarded-Proto": "gopher", "Forwarded": "for=203.0.113.9;proto=gopher"}
		if code, _, _ := h.get(t, true, "/tls", forged); code != 200 {
			t.Fatalf("https: %d", code)
		}
		if code, _, _ := h.get(t, false, "/plain", forged); code != 200 {
			t.Fatalf("http: %d", code)
		}
		reqs := b.waitRequests(t, 2)
		overTLS, plain := reqs[0], reqs[1]
		if overTLS.Target != "/tls" {
			overTLS, plain = plain, overTLS
		}
		wantProto, wantFwd := []string{"https"}, []string{"for=127.0.0.1;proto=https"}
		wantPlainProto, wantPlainFwd := []string{"http"}, []string(nil)
		if trusted { // a trusted proxy's own headers are believed and kept
			wantProto, wantFwd = []string{"gopher"}, []string{"for=203.0.113.9;proto=gopher, for=127.0.0.1;proto=https"}
			wantPlainProto, wantPlainFwd = []string{"gopher"}, []string{"for=203.0.113.9;proto=gopher"}
		}
		check := func(name string, got, want []string) {
			if strings.Join(got, "|") != strings.Join(want, "|") {
				t.Errorf("trusted=%v %s: %q, want %q", trusted, name, got, want)
			}
		}
		check("TLS X-Forwarded-Proto", overTLS.header("X-Forwarded-Proto"), wantProto)
		check("TLS Forwarded", overTLS.header("Forwarded"), wantFwd)
		check("plain X-Forwarded-Proto", plain.header("X-Forwarded-Proto"), wantPlainProto)
		check("plain Forwarded", plain.header("Forwarded"), wantPlainFwd)
		b.check(t)
	}
}

// TestTLSCacheKeepsSchemesApart: the default cache key of a TLS request
// differs from the plain one's, so an answer that depends on the scheme
// is never served across; a rule's own cache_key without {scheme} shares
// one entry, and with {scheme} keeps them apart. {scheme} in a rate-limit
// key counts each scheme on its own.
func TestTLSCacheKeepsSchemesApart(t *testing.T) {
	ca, leaf := localLeaf(t)
	backend := startBackend(t, func(ctx *fasthttp.RequestCtx) {
		ctx.Response.Header.Set("Cache-Control", "max-age=60")
		ctx.SetBodyString("proto=" + string(ctx.Request.Header.Peek("X-Forwarded-Proto")))
	})
	h := startTLSGateway(t, ca, configYAML(backend, `  paths:
    - pattern: /default/*
      features:
        cache: {expire_s: 60}
    - pattern: /shared/*
      features:
        cache: {expire_s: 60, cache_key: "{host}{path}"}
    - pattern: /apart/*
      features:
        cache: {expire_s: 60, cache_key: "{host}{scheme}{path}"}
    - pattern: /limited/*
      features:
        rate_limit: {quota: 1, duration: 3600, key: "{scheme}"}
`+tlsBlock(leaf, "")))
	fill := func(https bool, target string) string {
		t.Helper()
		var body string
		for i := 0; i < 200; i++ { // the memory tier stores asynchronously
			_, hdr, b := h.get(t, https, target, map[string]string{"Host": "localhost"})
			body = b
			if hdr.Get("X-Cache") == "HIT" {
				return body
			}
			time.Sleep(5 * time.Millisecond)
		}
		t.Fatalf("%s never became a hit", target)
		return ""
	}
	for _, tc := range []struct {
		target     string
		plain, tls string
	}{
		{"/default/a", "proto=http", "proto=https"},
		{"/shared/a", "proto=http", "proto=http"},
		{"/apart/a", "proto=http", "proto=https"},
	} {
		if got := fill(false, tc.target); got != tc.plain {
			t.Errorf("%s over http: %q, want %q", tc.target, got, tc.plain)
		}
		if got := fill(true, tc.target); got != tc.tls {
			t.Errorf("%s over https: %q, want %q", tc.target, got, tc.tls)
		}
	}
	for i, want := range []struct {
		https bool
		code  int
	}{{false, 200}, {true, 200}, {false, 429}, {true, 429}} {
		if code, _, _ := h.get(t, want.https, "/limited/x", nil); code != want.code {
			t.Errorf("rate-limited request %d (https=%v): %d, want %d", i, want.https, code, want.code)
		}
	}
}

// TestTLSReservedPrefixSameRules: the reserved prefix (here the built-in
// status page; the dashboard and its /metrics in the root package's
// TestTLSBinary) answers over TLS exactly as over plain HTTP, for every
// access case.
func TestTLSReservedPrefixSameRules(t *testing.T) {
	ca, leaf := localLeaf(t)
	backend := startBackend(t, func(ctx *fasthttp.RequestCtx) {})
	for _, extra := range []string{"", "  dashboard: {token: s3cret}\n"} {
		h := startTLSGateway(t, ca, configYAML(backend, extra+tlsBlock(leaf, "")))
		for _, tc := range []struct {
			name string
			hdr  map[string]string
		}{
			{"local", map[string]string{"Host": "127.0.0.1"}},
			{"localhost", map[string]string{"Host": "localhost"}},
			{"through a proxy", map[string]string{"Host": "localhost", "X-Forwarded-For": "203.0.113.9"}},
			{"rebinding", map[string]string{"Host": "evil.example"}},
			{"bearer", map[string]string{"Host": "gw.example", "Authorization": "Bearer s3cret"}},
			{"wrong token", map[string]string{"Host": "gw.example", "Authorization": "Bearer nope"}},
		} {
			for _, target := range []string{"/__premier/", "/__premier/metrics"} {
				plain, _, _ := h.get(t, false, target, tc.hdr)
				overTLS, _, body := h.get(t, true, target, tc.hdr)
				if plain != overTLS {
					t.Errorf("%q %s %s: %d over http, %d over https", extra, tc.name, target, plain, overTLS)
				}
				if target == "/__premier/" && tc.name == "local" && extra == "" && (overTLS != 200 || body == "") {
					t.Errorf("%s over https: %d", target, overTLS)
				}
			}
		}
	}
}

// TestTLSConnectionCapAndHandshakeTimeout: limits.max_connections_per_ip
// counts TLS connections too (one over it is closed, an answer in
// plain text would mean nothing to a TLS client), and a client that
// never sends its ClientHello is closed at limits.read_timeout.
func TestTLSConnectionCapAndHandshakeTimeout(t *testing.T) {
	ca, leaf := localLeaf(t)
	backend := startBackend(t, func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString("ok") })
	h := startTLSGateway(t, ca, configYAML(backend, "  limits: {max_connections_per_ip: 2, read_timeout: 1}\n"+tlsBlock(leaf, "")))
	var open []*tls.Conn
	for range 2 {
		c, err := tls.Dial("tcp", h.tlsAddr, ca.ClientConfig("localhost"))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		open = append(open, c)
	}
	raw, err := net.Dial("tcp", h.tlsAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	c := tls.Client(raw, ca.ClientConfig("localhost"))
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if err := c.Handshake(); err == nil {
		t.Fatal("a third connection from the same address completed its handshake over max_connections_per_ip 2")
	}
	_ = open[0].Close()
	time.Sleep(100 * time.Millisecond) // the cap's slot is released when the server sees the close
	silent, err := net.Dial("tcp", h.tlsAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	start := time.Now()
	_ = silent.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := silent.Read(make([]byte, 1)); err == nil || strings.Contains(err.Error(), "timeout") {
		t.Fatalf("a client silent before its ClientHello: read %v, want the connection closed", err)
	}
	if d := time.Since(start); d < 500*time.Millisecond || d > 3*time.Second {
		t.Errorf("the silent client was closed after %v, want about read_timeout (1 s)", d)
	}
}
