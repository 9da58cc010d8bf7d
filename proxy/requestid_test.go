package proxy

import (
	"bytes"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/valyala/fasthttp"

	"github.com/premier-gateway/premier/ui/source"
)

// idBackend answers 200 and records the X-Request-ID each request brought.
type idBackend struct {
	url string
	mu  sync.Mutex
	ids []string
}

func startIDBackend(t *testing.T) *idBackend {
	b := &idBackend{}
	b.url = startBackend(t, func(ctx *fasthttp.RequestCtx) {
		b.mu.Lock()
		b.ids = append(b.ids, string(ctx.Request.Header.Peek("X-Request-ID")))
		b.mu.Unlock()
		ctx.Response.Header.Set("X-Request-ID", "backend-says-otherwise")
		ctx.SetBodyString("ok")
	})
	return b
}

func (b *idBackend) last() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.ids) == 0 {
		return ""
	}
	return b.ids[len(b.ids)-1]
}

var mintedID = regexp.MustCompile(`^[0-9a-f]{28}$`)

// A well-formed incoming ID is kept, sent to the backend and returned; no
// ID or a malformed one (too long, a space, a quote) is replaced by a
// minted one, unique and increasing; the backend's own header of that name
// does not reach the client.
func TestRequestIDKeptMintedPropagated(t *testing.T) {
	b := startIDBackend(t)
	h := startGateway(t, configYAML(b.url, ""))

	resp, _ := do(t, "GET", h.url+"/a", nil, map[string]string{"X-Request-ID": "client-id_1.2:3"})
	if got := resp.Header.Get("X-Request-ID"); got != "client-id_1.2:3" || b.last() != "client-id_1.2:3" {
		t.Fatalf("kept: client got %q, backend %q", got, b.last())
	}
	var prev string
	for i, in := range []string{"", strings.Repeat("a", maxRequestIDLen+1), "two words", `q"uote`, "ünï"} {
		hdr := map[string]string{}
		if in != "" {
			hdr["X-Request-ID"] = in
		}
		resp, _ := do(t, "GET", h.url+"/a", nil, hdr)
		got := resp.Header.Get("X-Request-ID")
		if !mintedID.MatchString(got) || b.last() != got {
			t.Fatalf("%q: client got %q, backend %q; want the same minted ID", in, got, b.last())
		}
		if i > 0 && got <= prev {
			t.Fatalf("minted IDs not increasing: %q after %q", got, prev)
		}
		prev = got
	}
	// 64 bytes is the bound: kept.
	long := strings.Repeat("b", maxRequestIDLen)
	if resp, _ := do(t, "GET", h.url+"/a", nil, map[string]string{"X-Request-ID": long}); resp.Header.Get("X-Request-ID") != long {
		t.Fatalf("a %d-byte ID was replaced", maxRequestIDLen)
	}
}

// The gateway's own answers carry the ID too, their bodies stay
// {"error": ...}, and every one of them reaches the metrics and the
// recent requests (route "gateway" before a rule matched) with its status.
func TestRequestIDOnGatewayAnswersAndEveryAnswerObserved(t *testing.T) {
	b := startIDBackend(t)
	h := startGateway(t, configYAML(b.url, `  paths:
    - pattern: /limited
      features:
        rate_limit: {algorithm: fixed_window, quota: 1, duration: 60}
`))
	// A path the normaliser refuses: 400 before any rule.
	out := rawRequest(t, h.addr, "GET /a%00 HTTP/1.1\r\nHost: gw\r\nX-Request-ID: bad-path-1\r\n\r\n")
	if !strings.HasPrefix(out, "HTTP/1.1 400") || !strings.Contains(out, "X-Request-Id: bad-path-1\r\n") ||
		!strings.HasSuffix(out, `{"error":"malformed request"}`) {
		t.Fatalf("400: %q", out)
	}
	// A Host the head check refuses.
	out = rawRequest(t, h.addr, "GET /a HTTP/1.1\r\nHost: a b\r\n\r\n")
	if !strings.HasPrefix(out, "HTTP/1.1 400") || !regexp.MustCompile(`X-Request-Id: [0-9a-f]{28}\r\n`).MatchString(out) {
		t.Fatalf("bad host: %q", out)
	}
	// The reserved prefix's 404 for an unknown page.
	resp, body := do(t, "GET", h.url+"/__premier/nope", nil, map[string]string{"X-Request-ID": "reserved-1"})
	if resp.StatusCode != 404 || resp.Header.Get("X-Request-ID") != "reserved-1" || body != `{"error":"not found"}` {
		t.Fatalf("reserved: %d %q %s", resp.StatusCode, resp.Header.Get("X-Request-ID"), body)
	}
	// A rule's refusal.
	do(t, "GET", h.url+"/limited", nil, nil)
	resp, body = do(t, "GET", h.url+"/limited", nil, map[string]string{"X-Request-ID": "limited-1"})
	if resp.StatusCode != 429 || resp.Header.Get("X-Request-ID") != "limited-1" || !strings.HasPrefix(body, `{"error":`) {
		t.Fatalf("429: %d %q %s", resp.StatusCode, resp.Header.Get("X-Request-ID"), body)
	}

	reqs, _ := h.gw.metrics.Recent(source.RecentFilter{Limit: 100})
	want := map[string]string{"bad-path-1": "gateway 400", "reserved-1": "gateway 404", "limited-1": "/limited 429"}
	for _, q := range reqs {
		if w, ok := want[q.RequestID]; ok {
			if q.Route+" "+strconv.Itoa(q.Status) != w {
				t.Errorf("%s: recent %s %d, want %s", q.RequestID, q.Route, q.Status, w)
			}
			delete(want, q.RequestID)
		}
	}
	if len(want) != 0 {
		t.Fatalf("not in the recent requests: %v (have %+v)", want, reqs)
	}
	if p, _ := h.gw.metrics.Recent(source.RecentFilter{RequestID: "path-1", Limit: 10}); len(p) != 1 || p[0].RequestID != "bad-path-1" {
		t.Fatalf("search by request ID: %+v", p)
	}
	var prom bytes.Buffer
	h.gw.writePrometheus(&prom)
	for _, line := range []string{`route="gateway",method="GET",code="400"} 2`, `route="gateway",method="GET",code="404"} 1`} {
		if !strings.Contains(prom.String(), line) {
			t.Errorf("/metrics lacks %s", line)
		}
	}
}

// request_id: {enabled: false} adds nothing and mints nothing.
func TestRequestIDDisabled(t *testing.T) {
	b := startIDBackend(t)
	h := startGateway(t, configYAML(b.url, "  request_id: {enabled: false}\n"))
	resp, _ := do(t, "GET", h.url+"/a", nil, nil)
	if b.last() != "" || resp.Header.Get("X-Request-ID") != "backend-says-otherwise" {
		t.Fatalf("off: backend got %q, client %q", b.last(), resp.Header.Get("X-Request-ID"))
	}
}

// request_id.header names another header.
func TestRequestIDOwnHeader(t *testing.T) {
	var got []byte
	var mu sync.Mutex
	url := startBackend(t, func(ctx *fasthttp.RequestCtx) {
		mu.Lock()
		got = append(got[:0], ctx.Request.Header.Peek("X-Trace")...)
		mu.Unlock()
	})
	h := startGateway(t, configYAML(url, "  request_id: {header: X-Trace}\n"))
	resp, _ := do(t, "GET", h.url+"/a", nil, map[string]string{"X-Trace": "t-1"})
	mu.Lock()
	defer mu.Unlock()
	if string(got) != "t-1" || resp.Header.Get("X-Trace") != "t-1" {
		t.Fatalf("backend %q, client %q", got, resp.Header.Get("X-Trace"))
	}
}

// A backend that sends the ID header twice, in any case, has both copies
// replaced by the one the gateway logged: the client sees exactly one.
func TestRequestIDBackendCopiesReplaced(t *testing.T) {
	url := startBackend(t, func(ctx *fasthttp.RequestCtx) {
		rawResponse(ctx, func() string {
			return "HTTP/1.1 200 OK\r\nx-request-id: backend-lower\r\nX-REQUEST-ID: backend-upper"
		}, "ok")
	})
	h := startGateway(t, configYAML(url, `  paths:
    - pattern: /cached
      features: {cache: {expire_s: 60}}
`))
	for _, c := range []struct{ path, id string }{{"/a", "mine-1"}, {"/cached", "miss-1"}, {"/cached", "hit-1"}} {
		out := rawRequest(t, h.addr, "GET "+c.path+" HTTP/1.1\r\nHost: gw\r\nx-request-id: "+c.id+"\r\nConnection: close\r\n\r\n")
		if n := strings.Count(strings.ToLower(out), "x-request-id:"); n != 1 || !strings.Contains(out, "X-Request-Id: "+c.id+"\r\n") {
			t.Fatalf("%s: %d ID fields: %q", c.id, n, out)
		}
		if c.id == "hit-1" && !strings.Contains(out, "X-Cache: HIT") {
			t.Fatalf("not a cache hit: %q", out)
		}
	}
}
