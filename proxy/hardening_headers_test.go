package proxy

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// Catalogue section B (reliability.md scenarios 15–19): hop-by-hop and
// forwarding headers, header and body size limits, invalid header bytes.

// Scenario 15: hop-by-hop headers and every header any Connection line
// names are stripped both ways; the gateway's own forwarding headers are
// written after stripping; policies see the headers before stripping.
func TestHardeningHopByHopStripped(t *testing.T) {
	b := startRecBackend(t)
	b.extra = "Connection: X-Secret\r\nConnection: X-Other\r\nX-Secret: leak\r\nX-Other: leak\r\nKeep-Alive: timeout=5\r\nProxy-Foo: leak\r\nX-Kept: yes\r\n"
	h := startGateway(t, configYAML(b.url, `  paths:
    - pattern: /keyed
      features:
        rate_limit: {quota: 1, duration: 86400, key: "{header.X-Api-Key}"}
`))
	raw := "GET / HTTP/1.1\r\nHost: gw\r\nConnection: keep-alive, X-Forwarded-For, X-Real-IP, Authorization, X-Api-Key\r\n" +
		"Connection: Upgrade\r\nKeep-Alive: timeout=5\r\nTE: trailers\r\nUpgrade: h2c\r\nProxy-Connection: keep-alive\r\n" +
		"Proxy-Authorization: Basic eDp5\r\nX-Api-Key: k\r\nAuthorization: Bearer t\r\nX-Forwarded-For: 203.0.113.9\r\n" +
		"X-Real-IP: 203.0.113.9\r\nX-Stays: 1\r\n\r\n"
	rep := exchange(t, h.addr, time.Second, raw)
	if len(rep.statuses) != 1 || rep.statuses[0] != 200 {
		t.Fatalf("response: %q", rep.raw)
	}
	resp := rep.resps[0]
	for _, leak := range []string{"X-Secret", "X-Other", "Keep-Alive", "Proxy-Foo"} {
		if resp.Header.Get(leak) != "" {
			t.Errorf("response hop-by-hop header %s reached the client: %q", leak, rep.raw)
		}
	}
	if resp.Header.Get("X-Kept") != "yes" {
		t.Errorf("an end-to-end response header was dropped: %q", rep.raw)
	}
	reqs := b.waitRequests(t, 1)
	if len(reqs) != 1 {
		t.Fatalf("backend: %q", b.received())
	}
	r := reqs[0]
	for _, gone := range []string{"Connection", "Keep-Alive", "TE", "Upgrade", "Proxy-Connection",
		"Proxy-Authorization", "Authorization", "X-Api-Key"} {
		if v := r.header(gone); len(v) != 0 {
			t.Errorf("backend got %s: %q", gone, v)
		}
	}
	if got := r.header("X-Forwarded-For"); len(got) != 1 || got[0] != "127.0.0.1" {
		t.Errorf("X-Forwarded-For: %q (the gateway's own must survive the client naming it)", got)
	}
	if got := r.header("X-Real-IP"); len(got) != 1 || got[0] != "127.0.0.1" {
		t.Errorf("X-Real-IP: %q", got)
	}
	if got := r.header("X-Stays"); len(got) != 1 {
		t.Errorf("an end-to-end request header was dropped: %+v", r)
	}
	b.check(t)

	// The limit keyed on X-Api-Key saw it though the client named it in
	// Connection: the second request with the same key is limited.
	keyed := "GET /keyed HTTP/1.1\r\nHost: gw\r\nConnection: X-Api-Key, close\r\nX-Api-Key: k\r\n\r\n"
	exchange(t, h.addr, probeWait, keyed).wantClosed(t, "first keyed request", 200)
	exchange(t, h.addr, probeWait, keyed).wantClosed(t, "second keyed request", 429)
}

// Scenario 16: forwarding-header spoofing. With no trusted proxies the
// client's forwarding headers are replaced, never appended to, and limits
// key on the TCP peer. From a trusted proxy the chain is kept and the
// client is the right-most untrusted address.
func TestHardeningForwardingHeadersSpoofing(t *testing.T) {
	spoof := "X-Forwarded-For: 203.0.113.9\r\nX-Forwarded-For: 1.1.1.1, 2.2.2.2\r\nX-Forwarded-For: 1.1.1.1, 2.2.2.2\r\n" +
		"X-Real-IP: 203.0.113.9\r\nForwarded: for=203.0.113.9;proto=https;host=evil\r\n" +
		"X-Forwarded-Proto: https\r\nX-Forwarded-Host: evil.example\r\n"
	limited := `  paths:
    - pattern: /r
      features:
        rate_limit: {quota: 1, duration: 86400}
`
	t.Run("untrusted", func(t *testing.T) {
		b := startRecBackend(t)
		h := startGateway(t, configYAML(b.url, limited))
		exchange(t, h.addr, probeWait, "GET / HTTP/1.1\r\nHost: gw\r\n"+spoof+"Connection: close\r\n\r\n").wantClosed(t, "spoofed", 200)
		r := b.waitRequests(t, 1)[0]
		for name, want := range map[string]string{"X-Forwarded-For": "127.0.0.1", "X-Real-IP": "127.0.0.1",
			"X-Forwarded-Proto": "http", "X-Forwarded-Host": "gw"} {
			if got := r.header(name); len(got) != 1 || got[0] != want {
				t.Errorf("%s: %q, want exactly %q", name, got, want)
			}
		}
		if got := r.header("Forwarded"); len(got) != 0 {
			t.Errorf("Forwarded passed through: %q", got)
		}
		b.check(t)
		for i, xff := range []string{"198.51.100.1", "198.51.100.2"} {
			rep := exchange(t, h.addr, probeWait, "GET /r HTTP/1.1\r\nHost: gw\r\nX-Forwarded-For: "+xff+"\r\nConnection: close\r\n\r\n")
			if want := []int{200, 429}[i]; len(rep.statuses) != 1 || rep.statuses[0] != want {
				t.Errorf("request %d with a new spoofed address: %v, want %d (the limit keys on the TCP peer)", i, rep.statuses, want)
			}
		}
	})
	t.Run("trusted", func(t *testing.T) {
		b := startRecBackend(t)
		h := startGateway(t, configYAML(b.url, "  trusted_proxies: [127.0.0.1/32]\n"+limited))
		exchange(t, h.addr, probeWait, "GET / HTTP/1.1\r\nHost: gw\r\n"+spoof+"Connection: close\r\n\r\n").wantClosed(t, "via proxy", 200)
		r := b.waitRequests(t, 1)[0]
		for name, want := range map[string]string{
			"X-Forwarded-For":   "203.0.113.9, 1.1.1.1, 2.2.2.2, 1.1.1.1, 2.2.2.2, 127.0.0.1",
			"X-Real-IP":         "2.2.2.2",
			"X-Forwarded-Proto": "https",
			"X-Forwarded-Host":  "evil.example",
			"Forwarded":         "for=203.0.113.9;proto=https;host=evil",
		} {
			if got := r.header(name); len(got) != 1 || got[0] != want {
				t.Errorf("%s: %q, want exactly %q", name, got, want)
			}
		}
		b.check(t)
		for i, xff := range []string{"198.51.100.1", "198.51.100.1", "198.51.100.2"} {
			rep := exchange(t, h.addr, probeWait, "GET /r HTTP/1.1\r\nHost: gw\r\nX-Forwarded-For: "+xff+"\r\nConnection: close\r\n\r\n")
			if want := []int{200, 429, 200}[i]; len(rep.statuses) != 1 || rep.statuses[0] != want {
				t.Errorf("request %d from %s via the trusted proxy: %v, want %d", i, xff, rep.statuses, want)
			}
		}
	})
}

// Scenario 17: header size and count: 431 and close within 1 s (fasthttp
// reports an over-long request line as 431 too, not 414); over 100 fields
// is 431 before anything is forwarded. With the default 16 KiB limit an
// 8 KiB URL is accepted.
func TestHardeningHeaderSizeAndCount(t *testing.T) {
	b := startRecBackend(t)
	h := startGateway(t, configYAML(b.url, ""))
	var many, dup strings.Builder
	for i := 0; i < 10000; i++ {
		fmt.Fprintf(&many, "X-%05d: 1\r\n", i)
	}
	for i := 0; i < 1000; i++ {
		dup.WriteString("X-A: 1\r\n")
	}
	for name, raw := range map[string]string{
		"64 KiB header":      "GET / HTTP/1.1\r\nHost: gw\r\nX-Big: " + strings.Repeat("a", 64<<10) + "\r\n\r\n",
		"10000 headers":      "GET / HTTP/1.1\r\nHost: gw\r\n" + many.String() + "\r\n",
		"16 KiB cookie":      "GET / HTTP/1.1\r\nHost: gw\r\nCookie: a=" + strings.Repeat("b", 16<<10) + "\r\n\r\n",
		"20 KiB URL":         "GET /" + strings.Repeat("u", 20<<10) + " HTTP/1.1\r\nHost: gw\r\n\r\n",
		"1000 headers X-A":   "GET / HTTP/1.1\r\nHost: gw\r\n" + dup.String() + "\r\n",
		"101 distinct names": "GET / HTTP/1.1\r\nHost: gw\r\n" + many.String()[:101*len("X-00000: 1\r\n")] + "\r\n",
	} {
		began := time.Now()
		exchange(t, h.addr, probeWait, raw).wantClosed(t, name, 431)
		if d := time.Since(began); d > time.Second {
			t.Errorf("%s: answered after %v", name, d)
		}
	}
	if got := b.received(); got != "" {
		t.Errorf("backend received: %.300q", got)
	}
	rep := exchange(t, h.addr, probeWait, "GET /"+strings.Repeat("u", 8<<10)+" HTTP/1.1\r\nHost: gw\r\n"+
		many.String()[:90*len("X-00000: 1\r\n")]+"Connection: close\r\n\r\n")
	rep.wantClosed(t, "8 KiB URL, 90 headers", 200)
	b.check(t)
}

// Scenario 18: invalid header bytes are 400 and never forwarded; the
// error echoes nothing of the request into the response or the logs. An
// empty value is fine.
func TestHardeningInvalidHeaderBytes(t *testing.T) {
	b := startRecBackend(t)
	h := startGateway(t, configYAML(b.url, ""))
	for name, hdr := range map[string]string{
		"NUL in name":   "X-A\x00: 1",
		"space in name": "X A: 1",
		"DEL in value":  "X-A: a\x7fb",
		"UTF-8 name":    "X-\xc3\xa9: 1",
		"empty name":    ": novalue",
		"no colon":      "X-A; 1",
	} {
		rep := exchange(t, h.addr, probeWait, "GET / HTTP/1.1\r\nHost: gw\r\n"+hdr+"\r\n\r\n")
		rep.wantClosed(t, name, 400)
		if len(rep.bodies) == 1 && (strings.Contains(rep.bodies[0], "X-") || strings.Contains(rep.bodies[0], "novalue")) {
			t.Errorf("%s: the error echoes the request: %q", name, rep.bodies[0])
		}
	}
	if got := b.received(); got != "" {
		t.Errorf("backend received: %q", got)
	}
	if logs := h.logs.String(); strings.IndexByte(logs, 0) >= 0 || strings.IndexByte(logs, 0x7f) >= 0 ||
		strings.IndexByte(logs, 0xc3) >= 0 || strings.Contains(logs, "novalue") {
		t.Errorf("raw request bytes in the logs:\n%q", logs)
	}
	exchange(t, h.addr, probeWait, "GET / HTTP/1.1\r\nHost: gw\r\nX-A:\r\nConnection: close\r\n\r\n").wantClosed(t, "empty value", 200)
	if r := b.waitRequests(t, 1); len(r) != 1 || len(r[0].header("X-A")) != 1 || r[0].header("X-A")[0] != "" {
		t.Errorf("empty value forwarded as %+v", r)
	}
	b.check(t)
}

// Scenario 19: body size limit: 413 and close. A declared length over
// the limit is refused before any body byte is read; a chunked body is cut
// off when it crosses the limit, and the backend never gets a complete
// request. (Premier has one body limit, limits.max_body_bytes; there is
// no per-route limit, so case (c) does not apply.)
func TestHardeningBodySizeLimit(t *testing.T) {
	b := startRecBackend(t)
	h := startGateway(t, configYAML(b.url, "  limits:\n    max_body_bytes: 100000\n"))

	// (a) head only: the answer comes without the client sending the body.
	exchange(t, h.addr, probeWait, "POST /api HTTP/1.1\r\nHost: gw\r\nContent-Length: 5000000\r\n\r\n").
		wantClosed(t, "declared length over the limit", 413)

	// (b) chunks of 40 000 bytes: the third crosses 100 000.
	chunk := fmt.Sprintf("%x\r\n%s\r\n", 40000, strings.Repeat("c", 40000))
	rep := exchange(t, h.addr, probeWait, "POST /api HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: chunked\r\n\r\n",
		chunk, chunk, chunk, chunk, "0\r\n\r\n")
	rep.wantClosed(t, "chunked body over the limit", 413)

	time.Sleep(50 * time.Millisecond)
	if reqs := b.requests(); len(reqs) != 0 {
		t.Errorf("an oversized body reached the backend whole: %d requests", len(reqs))
	}

	// Within the limit, chunked: forwarded whole.
	rep = exchange(t, h.addr, probeWait, "POST /api HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
		chunk, chunk, "0\r\n\r\n")
	rep.wantClosed(t, "chunked body within the limit", 200)
	if reqs := b.waitRequests(t, 1); len(reqs) != 1 || len(reqs[0].Body) != 80000 {
		t.Errorf("chunked body within the limit: %d requests", len(reqs))
	}
}
