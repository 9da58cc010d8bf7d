package proxy

import (
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/valyala/fasthttp"
)

// ruleLimitsYAML: limits.max_body_bytes 1024; /big/* allows 4096 (more
// than the limits), /small/* 100 (less); /other/* has no limit of its own.
func ruleLimitsYAML(backend string) string {
	return configYAML(backend, `  limits:
    max_body_bytes: 1024
  paths:
    - pattern: /big/*
      features:
        max_body_bytes: 4096
    - pattern: /small/*
      features:
        max_body_bytes: 100
`)
}

// lengthBackend answers the length of the body it received, and counts
// the requests that reached it.
func lengthBackend(t *testing.T) (string, *atomic.Int64) {
	var n atomic.Int64
	url := startBackend(t, func(ctx *fasthttp.RequestCtx) {
		n.Add(1)
		ctx.SetBodyString(strconv.Itoa(len(ctx.Request.Body())))
	})
	return url, &n
}

func chunkedBody(n int) string {
	var b strings.Builder
	for n > 0 {
		c := min(n, 1000)
		fmt.Fprintf(&b, "%x\r\n%s\r\n", c, strings.Repeat("c", c))
		n -= c
	}
	b.WriteString("0\r\n\r\n")
	return b.String()
}

// lastStatus is the final status of a reply (after any interim 100).
func lastStatus(r rawReply) int {
	if len(r.statuses) == 0 {
		return 0
	}
	return r.statuses[len(r.statuses)-1]
}

// A rule's max_body_bytes replaces limits.max_body_bytes for that rule,
// larger or smaller, for declared and chunked bodies; rules without one
// keep the limits' value. Over the limit: 413 and the connection closed,
// nothing reaching the backend.
func TestRuleBodyLimit(t *testing.T) {
	backend, reached := lengthBackend(t)
	h := startGateway(t, ruleLimitsYAML(backend))
	cases := []struct {
		path   string
		size   int
		chunk  bool
		status int
	}{
		{"/big/x", 4096, false, 200},   // at the rule's limit
		{"/big/x", 2000, false, 200},   // over the limits', under the rule's
		{"/big/x", 4097, false, 413},   // over the rule's
		{"/big/x", 4096, true, 200},    // chunked, at the limit
		{"/big/x", 2000, true, 200},    // chunked, over the limits'
		{"/big/x", 5000, true, 413},    // chunked, over
		{"/small/x", 100, false, 200},  // at a limit below the limits'
		{"/small/x", 101, false, 413},  // over it
		{"/small/x", 101, true, 413},   // chunked, over it
		{"/other/x", 1024, false, 200}, // no limit of its own: the limits'
		{"/other/x", 1025, false, 413},
		{"/other/x", 1024, true, 200},
		{"/other/x", 2000, true, 413},
	}
	for _, c := range cases {
		name := fmt.Sprintf("%s %d chunked=%v", c.path, c.size, c.chunk)
		before := reached.Load()
		var rep rawReply
		if c.chunk {
			rep = exchange(t, h.addr, probeWait, "POST "+c.path+" HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"+chunkedBody(c.size))
		} else {
			rep = exchange(t, h.addr, probeWait, fmt.Sprintf("POST %s HTTP/1.1\r\nHost: gw\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s", c.path, c.size, strings.Repeat("b", c.size)))
		}
		if got := lastStatus(rep); got != c.status {
			t.Errorf("%s: statuses %v, want %d; got %q", name, rep.statuses, c.status, rep.raw)
			continue
		}
		if !rep.closed {
			t.Errorf("%s: connection left open", name)
		}
		if c.status == 200 && rep.bodies[len(rep.bodies)-1] != strconv.Itoa(c.size) {
			t.Errorf("%s: the backend got %s bytes", name, rep.bodies[len(rep.bodies)-1])
		}
		if c.status == 413 && !c.chunk && reached.Load() != before {
			t.Errorf("%s: a refused declared body reached the backend", name)
		}
	}
}

// Expect: 100-continue: a declared length over the rule's limit is
// answered 413 before the body is sent (no 100, the connection closed, the
// body never read); under it, 100 and then the backend's answer, also for
// a length over limits.max_body_bytes when the rule allows it.
func TestRuleBodyLimitExpectContinue(t *testing.T) {
	backend, reached := lengthBackend(t)
	h := startGateway(t, ruleLimitsYAML(backend))
	for _, c := range []struct {
		path string
		size int
		want string
	}{
		{"/small/x", 101, "[413]"},
		{"/big/x", 4097, "[413]"},
		{"/other/x", 1025, "[413]"},
		{"/big/x", 3000, "[100 200]"},
		{"/small/x", 100, "[100 200]"},
	} {
		before := reached.Load()
		head := fmt.Sprintf("POST %s HTTP/1.1\r\nHost: gw\r\nContent-Length: %d\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n", c.path, c.size)
		rep := exchange(t, h.addr, probeWait, head, strings.Repeat("e", c.size))
		if got := fmt.Sprint(rep.statuses); got != c.want || !rep.closed {
			t.Errorf("%s %d: statuses %s closed=%v, want %s; got %q", c.path, c.size, got, rep.closed, c.want, rep.raw)
		}
		if c.want == "[413]" && reached.Load() != before {
			t.Errorf("%s %d: refused before the body, yet the backend was reached", c.path, c.size)
		}
	}
}
