package proxy

import (
	"fmt"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// Catalogue section A, scenarios 10–14: request targets that name hosts,
// HTTP/1.0, Expect: 100-continue, pipelining, and early backend answers.

// spyListener counts connections to an address a request names, which the
// gateway must never dial.
func spyListener(t *testing.T) (addr string, dials *atomic.Int32) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dials = new(atomic.Int32)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			dials.Add(1)
			_ = c.Close()
		}
	}()
	t.Cleanup(func() { _ = ln.Close(); <-done })
	return ln.Addr().String(), dials
}

// Scenario 10: absolute-form, `//host` paths, CONNECT and `*`. The
// upstream is always the rule's backend: nothing the client names is
// dialled. The absolute-form authority becomes the Host (RFC 9112 §3.2.2).
func TestHardeningTargetsNeverPickTheUpstream(t *testing.T) {
	spy, dials := spyListener(t)
	b := startRecBackend(t)
	h := startGateway(t, configYAML(b.url, ""))
	cl := "Connection: close\r\n\r\n"

	rep := exchange(t, h.addr, probeWait, "GET http://"+spy+"/latest/meta-data/ HTTP/1.1\r\nHost: gw\r\n"+cl)
	rep.wantClosed(t, "absolute-form", 200)
	reqs := b.waitRequests(t, 1)
	if len(reqs) != 1 || reqs[0].Target != "/latest/meta-data/" || reqs[0].header("Host")[0] != spy ||
		reqs[0].header("X-Forwarded-Host")[0] != spy {
		t.Fatalf("absolute-form forwarded as %+v", reqs)
	}

	rep = exchange(t, h.addr, probeWait, "GET //"+spy+"/x HTTP/1.1\r\nHost: gw\r\n"+cl)
	rep.wantClosed(t, "//host path", 200)
	reqs = b.waitRequests(t, 2)
	if len(reqs) != 2 || !strings.HasPrefix(reqs[1].Target, "/") || strings.HasPrefix(reqs[1].Target, "//") ||
		!strings.HasSuffix(reqs[1].Target, spy+"/x") || reqs[1].header("Host")[0] != "gw" {
		t.Fatalf("//host forwarded as %+v", reqs[1:])
	}

	for name, raw := range map[string]string{
		"CONNECT":              "CONNECT " + spy + " HTTP/1.1\r\nHost: " + spy + "\r\n\r\n",
		"GET *":                "GET * HTTP/1.1\r\nHost: gw\r\n\r\n",
		"userinfo in absolute": "GET http://user:pw@" + spy + "/ HTTP/1.1\r\nHost: gw\r\n\r\n",
		"ftp scheme":           "GET ftp://" + spy + "/x HTTP/1.1\r\nHost: gw\r\n\r\n",
		"no scheme":            "GET " + spy + "/x HTTP/1.1\r\nHost: gw\r\n\r\n",
	} {
		exchange(t, h.addr, probeWait, raw).wantClosed(t, name, 400)
	}
	rep = exchange(t, h.addr, probeWait, "OPTIONS * HTTP/1.1\r\nHost: gw\r\n"+cl)
	rep.wantClosed(t, "OPTIONS *", 200)
	if rep.bodies[0] != "" {
		t.Errorf("OPTIONS *: %q", rep.raw)
	}
	time.Sleep(50 * time.Millisecond)
	if n := len(b.requests()); n != 2 {
		t.Errorf("backend got %d requests, want the 2 accepted ones: %q", n, b.received())
	}
	if n := dials.Load(); n != 0 {
		t.Errorf("the gateway dialled an address the client named %d times", n)
	}
	b.check(t)
}

// Scenario 11: HTTP/1.0. A response to a 1.0 client is never chunked and
// the connection closes unless the client asked for keep-alive; TE on 1.0
// is faulty framing (400); the backend always gets HTTP/1.1.
func TestHardeningHTTP10(t *testing.T) {
	b := startRecBackend(t)
	h := startGateway(t, configYAML(b.url, ""))

	rep := exchange(t, h.addr, probeWait, "GET /chunked HTTP/1.0\r\n\r\n")
	if len(rep.statuses) != 1 || rep.statuses[0] != 200 || !rep.closed || rep.bodies[0] != "ok /chunked" ||
		strings.Contains(strings.ToLower(rep.raw), "transfer-encoding") {
		t.Fatalf("HTTP/1.0 against a chunked backend answer: closed=%v %q", rep.closed, rep.raw)
	}

	rep = exchange(t, h.addr, 700*time.Millisecond,
		"GET /one HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", "GET /two HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
	if len(rep.statuses) != 2 || rep.bodies[0] != "ok /one" || rep.bodies[1] != "ok /two" || rep.closed {
		t.Fatalf("HTTP/1.0 keep-alive: closed=%v %q", rep.closed, rep.raw)
	}

	before := len(b.requests())
	exchange(t, h.addr, probeWait, "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\nabc").
		wantClosed(t, "TE on HTTP/1.0", 400)
	time.Sleep(50 * time.Millisecond)
	if n := len(b.requests()); n != before {
		t.Errorf("TE on HTTP/1.0 reached the backend")
	}
	b.check(t) // every forwarded request was HTTP/1.1 with one Host
}

// Scenario 12: Expect: 100-continue. The 100 goes out only once every
// head-level policy passed; a refusal is final (no 100) and closes the
// connection, so body bytes sent anyway are never parsed as a request.
func TestHardeningExpectContinue(t *testing.T) {
	b := startRecBackend(t)
	h := startGateway(t, configYAML(b.url, `  limits:
    max_body_bytes: 1048576
  paths:
    - pattern: /limited
      features:
        rate_limit: {quota: 2, duration: 86400, key: global}
`))
	rep := exchange(t, h.addr, probeWait, "POST /upload HTTP/1.1\r\nHost: gw\r\nContent-Length: 10485760\r\nExpect: 100-continue\r\n\r\n")
	rep.wantClosed(t, "over the body limit", 413)

	// Admitted: 100, then the answer; Expect itself is not forwarded, and
	// the rate limit counts the request once (quota 2: one more passes).
	rep = exchange(t, h.addr, probeWait, "POST /limited HTTP/1.1\r\nHost: gw\r\nContent-Length: 5\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n", "hello")
	if fmt.Sprint(rep.statuses) != "[100 200]" || !rep.closed {
		t.Fatalf("admitted Expect: %v %q", rep.statuses, rep.raw)
	}
	reqs := b.waitRequests(t, 1)
	if len(reqs) != 1 || reqs[0].Body != "hello" || len(reqs[0].header("Expect")) != 0 {
		t.Fatalf("admitted Expect forwarded as %+v", reqs)
	}
	if resp, _ := do(t, "GET", h.url+"/limited", nil, nil); resp.StatusCode != 200 {
		t.Fatalf("second request within quota 2: %d (the Expect request was counted twice)", resp.StatusCode)
	}

	// Over the rate limit: 429 and close, no 100; the body and a request
	// hidden after it are never read.
	rep = exchange(t, h.addr, probeWait,
		"POST /limited HTTP/1.1\r\nHost: gw\r\nContent-Length: 65536\r\nExpect: 100-continue\r\n\r\n",
		strings.Repeat("a", 65536)+"GET /api/admin HTTP/1.1\r\nHost: gw\r\n\r\n")
	rep.wantClosed(t, "over the rate limit", 429)
	if rep.resps[0].Header.Get("Retry-After") == "" {
		t.Errorf("429 without Retry-After: %q", rep.raw)
	}

	exchange(t, h.addr, probeWait, "POST / HTTP/1.1\r\nHost: gw\r\nContent-Length: 3\r\nExpect: foo\r\n\r\nabc").
		wantClosed(t, "Expect: foo", 417)

	time.Sleep(50 * time.Millisecond)
	if n := len(b.requests()); n != 2 || strings.Contains(b.received(), "admin") {
		t.Errorf("backend got %d requests, want 2: %q", n, b.received())
	}
	b.check(t)
}

// Scenario 13: pipelining. Responses come back in request order even when
// the first is slow; each request is policy-checked and counted on its
// own; after a malformed request nothing more is read.
func TestHardeningPipelining(t *testing.T) {
	b := startRecBackend(t)
	b.delay = func(r recReq) time.Duration {
		if r.Target == "/a" {
			return 300 * time.Millisecond
		}
		return 0
	}
	h := startGateway(t, configYAML(b.url, `  paths:
    - pattern: /r
      features:
        rate_limit: {quota: 2, duration: 86400, key: global}
`))
	get := func(path, extra string) string { return "GET " + path + " HTTP/1.1\r\nHost: gw\r\n" + extra + "\r\n" }

	rep := exchange(t, h.addr, probeWait, get("/a", "")+get("/b", "")+get("/c", "Connection: close\r\n"))
	if fmt.Sprint(rep.bodies) != "[ok /a ok /b ok /c]" || !rep.closed {
		t.Fatalf("pipelined responses out of order: %q", rep.raw)
	}

	rep = exchange(t, h.addr, probeWait, get("/r", "")+get("/r", "")+get("/r", "Connection: close\r\n"))
	if fmt.Sprint(rep.statuses) != "[200 200 429]" {
		t.Fatalf("pipelined requests not limited one by one: %v %q", rep.statuses, rep.raw)
	}

	before := len(b.requests())
	rep = exchange(t, h.addr, probeWait, get("/a", "")+get("/b", "Content-Length: x\r\n")+get("/c", ""))
	if fmt.Sprint(rep.statuses) != "[200 400]" || !rep.closed || !rep.resps[1].Close {
		t.Fatalf("malformed pipelined request: %v closed=%v %q", rep.statuses, rep.closed, rep.raw)
	}
	time.Sleep(50 * time.Millisecond)
	reqs := b.requests()[before:]
	if len(reqs) != 1 || reqs[0].Target != "/a" {
		t.Errorf("after a malformed request the backend got %+v", reqs)
	}
	b.check(t)
}

// Scenario 14: the backend answers before reading the body (401 on
// /login) and keeps the connection. The gateway always sends the whole
// body it announced, so the backend reads the next client's request at a
// request boundary: no request line is ever made of body bytes.
func TestHardeningEarlyBackendAnswerNoDesync(t *testing.T) {
	b := startRecBackend(t)
	b.early = func(r recReq) bool { return r.Target == "/login" }
	h := startGateway(t, configYAML(b.url, ""))
	smuggled := "GET /smuggled HTTP/1.1\r\nHost: gw\r\n\r\n"
	body := strings.Repeat(smuggled, 65536/len(smuggled))
	body += strings.Repeat("x", 65536-len(body))

	rep := exchange(t, h.addr, probeWait, "POST /login HTTP/1.1\r\nHost: gw\r\nContent-Length: 65536\r\nConnection: close\r\n\r\n"+body)
	rep.wantClosed(t, "early 401", 401)
	rep = exchange(t, h.addr, probeWait, "GET /a HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\n")
	rep.wantClosed(t, "next client", 200)
	if rep.bodies[0] != "ok /a" {
		t.Fatalf("next client got %q", rep.raw)
	}
	reqs := b.waitRequests(t, 2)
	if len(reqs) != 2 || reqs[0].Target != "/login" || reqs[0].Body != body || reqs[1].Target != "/a" {
		t.Fatalf("backend requests: %d %v", len(reqs), targets(reqs))
	}
	b.check(t)
}

func targets(rs []recReq) []string {
	var ts []string
	for _, r := range rs {
		ts = append(ts, r.Method+" "+r.Target)
	}
	return ts
}
