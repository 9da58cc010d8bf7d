package proxy

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
	"golang.org/x/net/http2"
)

// The same cases through a real gateway over HTTP/1.1 (plain and over
// TLS), HTTP/2 over TLS (ALPN h2 on the TLS listener) and h2c (prior
// knowledge on the plain listener): every policy behaves the same,
// because every protocol reaches the one request path.

// protoLeg is one protocol the table runs over.
type protoLeg struct {
	name, proto string
	// client returns a client sending from source (a loopback address)
	// and the base URL it reaches the gateway at.
	client func(source string) (*http.Client, string)
}

func dialerFrom(source string) *net.Dialer {
	return &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(source)}}
}

func protoLegs(t *testing.T, h *tlsHarness) []protoLeg {
	var transports []*http.Transport
	keep := func(tr *http.Transport) *http.Client {
		transports = append(transports, tr)
		return &http.Client{Transport: tr, Timeout: 20 * time.Second}
	}
	t.Cleanup(func() {
		for _, tr := range transports {
			tr.CloseIdleConnections()
		}
	})
	tlsURL := "https://" + h.tlsAddr
	return []protoLeg{
		{"HTTP/1.1", "HTTP/1.1", func(src string) (*http.Client, string) {
			return keep(&http.Transport{DialContext: dialerFrom(src).DialContext}), h.url
		}},
		{"HTTP/1.1 over TLS", "HTTP/1.1", func(src string) (*http.Client, string) {
			tr := &http.Transport{DialContext: dialerFrom(src).DialContext, TLSClientConfig: h.ca.ClientConfig("localhost"),
				Protocols: new(http.Protocols)}
			tr.Protocols.SetHTTP1(true)
			return keep(tr), tlsURL
		}},
		{"HTTP/2 over TLS", "HTTP/2.0", func(src string) (*http.Client, string) {
			return keep(&http.Transport{DialContext: dialerFrom(src).DialContext, ForceAttemptHTTP2: true,
				TLSClientConfig: h.ca.ClientConfig("localhost")}), tlsURL
		}},
		{"h2c", "HTTP/2.0", func(src string) (*http.Client, string) {
			tr := &http.Transport{DialContext: dialerFrom(src).DialContext, Protocols: new(http.Protocols)}
			tr.Protocols.SetUnencryptedHTTP2(true)
			return keep(tr), h.url
		}},
	}
}

// h2Backend counts hits per path and answers: /cached cacheable, /flaky
// 503 on every other hit, /upload the body's digest and a large streamed
// body, anything else "ok".
type h2Backend struct {
	hits sync.Map // path → *atomic.Int64
}

func (b *h2Backend) count(path string) int64 {
	v, _ := b.hits.LoadOrStore(path, new(atomic.Int64))
	return v.(*atomic.Int64).Load()
}

const h2BigBody = 3 << 20

func (b *h2Backend) serve(ctx *fasthttp.RequestCtx) {
	v, _ := b.hits.LoadOrStore(string(ctx.Path()), new(atomic.Int64))
	n := v.(*atomic.Int64).Add(1)
	switch string(ctx.Path()) {
	case "/cached":
		ctx.Response.Header.Set("Cache-Control", "max-age=60")
		ctx.SetBodyString("cached body")
	case "/flaky":
		if n%2 == 1 {
			ctx.SetStatusCode(503)
			return
		}
		ctx.SetBodyString("recovered")
	case "/upload":
		h := sha256.New()
		var r io.Reader = bytes.NewReader(ctx.Request.Body())
		if ctx.Request.IsBodyStream() {
			r = ctx.RequestBodyStream()
		}
		size, _ := io.Copy(h, r)
		ctx.Response.Header.Set("X-Upload", fmt.Sprintf("%d:%s", size, hex.EncodeToString(h.Sum(nil))))
		ctx.SetBodyStream(io.LimitReader(repeatReader('z'), h2BigBody), -1)
	default:
		ctx.SetBodyString("ok")
	}
}

type repeatReader byte

func (r repeatReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(r)
	}
	return len(p), nil
}

// unsized hides a body's length, so the client sends it chunked (HTTP/1.1)
// or without Content-Length (HTTP/2).
type unsized struct{ io.Reader }

func TestHTTP2SamePolicies(t *testing.T) {
	ca, leaf := localLeaf(t)
	for _, leg := range []string{"HTTP/1.1", "HTTP/1.1 over TLS", "HTTP/2 over TLS", "h2c"} {
		t.Run(leg, func(t *testing.T) {
			b := &h2Backend{}
			backend := startBackend(t, b.serve)
			h := startTLSGateway(t, ca, configYAML(backend, tlsBlock(leaf, "")+`  h2c: true
  limits: {max_body_bytes: 5000000}
  paths:
    - pattern: /limited
      features:
        rate_limit: {quota: 3, duration: 86400}
    - pattern: /cached
      features:
        cache: {expire_s: 60}
    - pattern: /flaky
      features:
        retry: {max_attempts: 3, wait: 0}
`))
			var p protoLeg
			for _, l := range protoLegs(t, h) {
				if l.name == leg {
					p = l
				}
			}
			a, base := p.client("127.0.0.1")
			other, _ := p.client("127.0.0.2")
			get := func(c *http.Client, path string, hdr ...string) (*http.Response, string) {
				t.Helper()
				req, _ := http.NewRequest("GET", base+path, nil)
				for i := 0; i+1 < len(hdr); i += 2 {
					req.Header.Set(hdr[i], hdr[i+1])
				}
				resp, err := c.Do(req)
				if err != nil {
					t.Fatalf("GET %s: %v", path, err)
				}
				defer resp.Body.Close()
				body, _ := io.ReadAll(resp.Body)
				if resp.Proto != p.proto {
					t.Fatalf("GET %s answered over %s, want %s", path, resp.Proto, p.proto)
				}
				return resp, string(body)
			}

			t.Run("rate limit per client IP", func(t *testing.T) {
				for i := range 3 {
					if resp, _ := get(a, "/limited"); resp.StatusCode != 200 {
						t.Fatalf("request %d: %d", i+1, resp.StatusCode)
					}
				}
				resp, body := get(a, "/limited")
				if resp.StatusCode != 429 || resp.Header.Get("Retry-After") == "" || resp.Header.Get("RateLimit") == "" ||
					!strings.Contains(body, `"error"`) {
					t.Fatalf("over quota: %d %v %q", resp.StatusCode, resp.Header, body)
				}
				if resp, _ := get(other, "/limited"); resp.StatusCode != 200 {
					t.Fatalf("another client IP: %d", resp.StatusCode)
				}
			})
			t.Run("cache", func(t *testing.T) {
				resp, body := get(a, "/cached")
				if resp.Header.Get("X-Cache") != "MISS" || body != "cached body" {
					t.Fatalf("first: %v %q", resp.Header, body)
				}
				h.gw.cache.Wait() // the memory tier stores asynchronously
				resp, body = get(a, "/cached")
				if resp.Header.Get("X-Cache") != "HIT" || !strings.Contains(resp.Header.Get("Cache-Status"), "hit") ||
					resp.Header.Get("Age") == "" || body != "cached body" || b.count("/cached") != 1 {
					t.Fatalf("second: %v %q, backend hit %d times", resp.Header, body, b.count("/cached"))
				}
			})
			t.Run("retries", func(t *testing.T) {
				resp, body := get(a, "/flaky")
				if resp.StatusCode != 200 || body != "recovered" || b.count("/flaky") != 2 {
					t.Fatalf("%d %q after %d backend hits", resp.StatusCode, body, b.count("/flaky"))
				}
			})
			t.Run("dashboard prefix", func(t *testing.T) {
				if resp, body := get(a, "/__premier/"); resp.StatusCode != 200 || !strings.Contains(body, `"version"`) {
					t.Fatalf("status page from loopback: %d %q", resp.StatusCode, body)
				}
				if resp, _ := get(a, "/__premier/", "X-Forwarded-For", "203.0.113.9"); resp.StatusCode != 404 {
					t.Fatalf("through a proxy: %d", resp.StatusCode)
				}
				if resp, _ := get(a, "/%5F_premier/"); resp.StatusCode == 200 && b.count("/__premier/")+b.count("/%5F_premier/") > 0 {
					t.Fatal("an encoded prefix reached the backend")
				}
			})
			t.Run("large bodies stream both ways", func(t *testing.T) {
				payload := bytes.Repeat([]byte("premier!"), (4<<20)/8)
				sum := sha256.Sum256(payload)
				for _, body := range []io.Reader{bytes.NewReader(payload), unsized{bytes.NewReader(payload)}} {
					resp, err := a.Post(base+"/upload", "application/octet-stream", body)
					if err != nil {
						t.Fatal(err)
					}
					got, err := io.ReadAll(resp.Body)
					resp.Body.Close()
					want := fmt.Sprintf("%d:%x", len(payload), sum)
					if err != nil || resp.StatusCode != 200 || resp.Header.Get("X-Upload") != want ||
						len(got) != h2BigBody || got[0] != 'z' || got[len(got)-1] != 'z' || resp.Proto != p.proto {
						t.Fatalf("%s %d, upload %q (want %q), %d bytes back (%v)", resp.Proto, resp.StatusCode,
							resp.Header.Get("X-Upload"), want, len(got), err)
					}
				}
			})
			t.Run("request body limit", func(t *testing.T) {
				before := b.count("/upload")
				payload := bytes.Repeat([]byte("x"), 5000001)
				for _, body := range []io.Reader{bytes.NewReader(payload), unsized{bytes.NewReader(payload)}} {
					resp, err := a.Post(base+"/upload", "application/octet-stream", body)
					if err != nil {
						if p.proto == "HTTP/1.1" {
							continue // the gateway may close before the client finished sending
						}
						t.Fatal(err)
					}
					resp.Body.Close()
					if resp.StatusCode != 413 {
						t.Fatalf("%d, want 413", resp.StatusCode)
					}
				}
				if b.count("/upload") != before+1 { // the unsized body streams until the limit cuts it
					t.Logf("backend saw %d of the oversized uploads", b.count("/upload")-before)
				}
			})
		})
	}
}

// Without h2c (the default), the plain listener serves HTTP/1.1 only: a
// client opening with the HTTP/2 preface is answered 400 in HTTP/1.1.
func TestH2COffByDefault(t *testing.T) {
	h := startGateway(t, configYAML(startBackend(t, func(ctx *fasthttp.RequestCtx) {}), ""))
	out := rawRequest(t, h.addr, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
	if !strings.HasPrefix(out, "HTTP/1.1 400") {
		t.Fatalf("%.80q", out)
	}
	tr := &http.Transport{Protocols: new(http.Protocols)}
	tr.Protocols.SetUnencryptedHTTP2(true)
	defer tr.CloseIdleConnections()
	if resp, err := (&http.Client{Transport: tr, Timeout: 5 * time.Second}).Get(h.url + "/"); err == nil {
		resp.Body.Close()
		t.Fatalf("an h2c client was answered: %s", resp.Proto)
	}
}

// At shutdown an HTTP/2 stream in flight finishes (the connection gets
// GOAWAY, not a reset), and Serve returns cleanly.
func TestHTTP2ShutdownDrains(t *testing.T) {
	backend := startBackend(t, func(ctx *fasthttp.RequestCtx) {
		time.Sleep(400 * time.Millisecond)
		ctx.SetBodyString("finished")
	})
	gw := newGateway(t, configYAML(backend, "  h2c: true\n"))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- gw.Serve(ctx, ln) }()
	tr := &http.Transport{Protocols: new(http.Protocols)}
	tr.Protocols.SetUnencryptedHTTP2(true)
	defer tr.CloseIdleConnections()
	type answer struct {
		proto, body string
		err         error
	}
	got := make(chan answer, 1)
	go func() {
		resp, err := (&http.Client{Transport: tr, Timeout: 10 * time.Second}).Get("http://" + ln.Addr().String() + "/slow")
		if err != nil {
			got <- answer{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		got <- answer{resp.Proto, string(b), err}
	}()
	time.Sleep(150 * time.Millisecond) // the request is at the backend
	cancel()
	a := <-got
	if a.err != nil || a.proto != "HTTP/2.0" || a.body != "finished" {
		t.Fatalf("in-flight stream: %+v", a)
	}
	if err := <-served; err != nil {
		t.Fatalf("Serve: %v", err)
	}
}

// h2c connections count against limits.max_connections_per_ip as
// HTTP/1.1 ones do; one over the cap is closed.
func TestH2CPerAddressCap(t *testing.T) {
	h := startGateway(t, configYAML(startBackend(t, func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString("ok") }),
		"  h2c: true\n  limits: {max_connections_per_ip: 1}\n"))
	newClient := func() (*http.Client, *http.Transport) {
		tr := &http.Transport{Protocols: new(http.Protocols)}
		tr.Protocols.SetUnencryptedHTTP2(true)
		return &http.Client{Transport: tr, Timeout: 5 * time.Second}, tr
	}
	first, tr1 := newClient()
	defer tr1.CloseIdleConnections()
	resp, err := first.Get(h.url + "/")
	if err != nil || resp.Proto != "HTTP/2.0" {
		t.Fatalf("first h2c client: %v %v", resp, err)
	}
	resp.Body.Close()
	second, tr2 := newClient()
	defer tr2.CloseIdleConnections()
	if resp, err := second.Get(h.url + "/"); err == nil {
		resp.Body.Close()
		t.Fatalf("a second connection from the address was served: %d", resp.StatusCode)
	}
}

// The TLS listener offers h2 by default with the configured stream limit
// in its SETTINGS; with tls.http2: false it offers only HTTP/1.1.
func TestHTTP2TLSSettings(t *testing.T) {
	ca, leaf := localLeaf(t)
	backend := startBackend(t, func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString("ok") })
	h := startTLSGateway(t, ca, configYAML(backend, tlsBlock(leaf, "    max_concurrent_streams: 7\n")+"  limits: {max_header_bytes: 8192}\n"))
	cfg := ca.ClientConfig("localhost")
	cfg.NextProtos = []string{"h2", "http/1.1"}
	c, err := tls.Dial("tcp", h.tlsAddr, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if p := c.ConnectionState().NegotiatedProtocol; p != "h2" {
		t.Fatalf("ALPN %q, want h2", p)
	}
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	fr := http2.NewFramer(c, c)
	if _, err := io.WriteString(c, http2.ClientPreface); err != nil || fr.WriteSettings() != nil {
		t.Fatal("preface:", err)
	}
	f, err := fr.ReadFrame()
	if err != nil {
		t.Fatal(err)
	}
	sf, ok := f.(*http2.SettingsFrame)
	if !ok {
		t.Fatalf("first frame %T, want SETTINGS", f)
	}
	if v, _ := sf.Value(http2.SettingMaxConcurrentStreams); v != 7 {
		t.Errorf("MAX_CONCURRENT_STREAMS %d, want 7", v)
	}
	if v, _ := sf.Value(http2.SettingMaxHeaderListSize); v < 8192 || v > 2*8192 {
		t.Errorf("MAX_HEADER_LIST_SIZE %d, want about limits.max_header_bytes (8192)", v)
	}

	off := startTLSGateway(t, ca, configYAML(backend, tlsBlock(leaf, "    http2: false\n")))
	c2, err := tls.Dial("tcp", off.tlsAddr, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if p := c2.ConnectionState().NegotiatedProtocol; p == "h2" {
		t.Fatal("h2 negotiated with tls.http2: false")
	}
}
