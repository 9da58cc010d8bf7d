package proxy

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// Catalogue section A (reliability.md scenarios 1–14): HTTP/1.1 framing,
// smuggling and desync, client → gateway → recording backend. Every case
// sends the catalogue's exact bytes on a real connection.

const probeWait = 3 * time.Second

// rejectAll sends each raw request on its own connection and expects want
// and a closed connection for every one; the backend must receive nothing.
func rejectAll(t *testing.T, cases map[string]string, want int) {
	t.Helper()
	b := startRecBackend(t)
	h := startGateway(t, configYAML(b.url, ""))
	for name, raw := range cases {
		exchange(t, h.addr, probeWait, raw).wantClosed(t, name, want)
	}
	if got := b.received(); got != "" {
		t.Errorf("the backend received bytes of rejected requests:\n%q", got)
	}
}

// Scenario 1: CL.TE. fasthttp frames by TE and marks the request close; the
// gateway must answer once, close, and forward one request with one framing
// header — the stray "G" is never glued to a later request.
func TestHardeningCLTEClosesAndNeverGluesTheStrayByte(t *testing.T) {
	b := startRecBackend(t)
	h := startGateway(t, configYAML(b.url, ""))
	rep := exchange(t, h.addr, probeWait,
		"POST /api/x HTTP/1.1\r\nHost: gw\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nG",
		"ET /api/admin HTTP/1.1\r\nHost: gw\r\n\r\n")
	rep.wantClosed(t, "CL.TE", 200)
	if len(rep.resps) == 1 && !rep.resps[0].Close {
		t.Errorf("CL.TE response lacks Connection: close: %q", rep.raw)
	}
	b.waitRequests(t, 1)
	time.Sleep(50 * time.Millisecond) // a glued second request would arrive now
	reqs := b.requests()
	if len(reqs) != 1 || reqs[0].Target != "/api/x" || reqs[0].Body != "" {
		t.Fatalf("backend requests: %+v", reqs)
	}
	if strings.Contains(b.received(), "admin") || strings.Contains(b.received(), "GET") {
		t.Errorf("the stray byte reached the backend:\n%q", b.received())
	}
	b.check(t)
}

// Scenario 2: TE.CL. Chunked framing wins: the chunk (which looks like a
// request for the dashboard) is body, never a second request.
func TestHardeningTECLChunkedWins(t *testing.T) {
	b := startRecBackend(t)
	h := startGateway(t, configYAML(b.url, ""))
	chunk := "GPOST /__premier/api/config HTTP/1.1\r\nContent-Length: 15\r\n\r\nx=1"
	raw := fmt.Sprintf("POST / HTTP/1.1\r\nHost: gw\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n0\r\n\r\n", len(chunk), chunk)
	rep := exchange(t, h.addr, probeWait, raw)
	rep.wantClosed(t, "TE.CL", 200)
	reqs := b.waitRequests(t, 1)
	if len(reqs) != 1 || reqs[0].Target != "/" || reqs[0].Body != chunk {
		t.Fatalf("backend requests: %+v", reqs)
	}
	b.check(t)
}

// Scenario 3: obfuscated Transfer-Encoding. Every variant but the
// case-changed one is 400 and close; nothing reaches the backend.
func TestHardeningTETEObfuscationRejected(t *testing.T) {
	head := "POST / HTTP/1.1\r\nHost: gw\r\nContent-Length: 4\r\n"
	body := "\r\n0\r\n\r\n"
	cases := map[string]string{}
	for name, te := range map[string]string{
		"xchunked":           "Transfer-Encoding: xchunked\r\n",
		"space before colon": "Transfer-Encoding : chunked\r\n",
		"chunked, identity":  "Transfer-Encoding: chunked, identity\r\n",
		"identity, chunked":  "Transfer-Encoding: identity, chunked\r\n",
		"gzip, chunked":      "Transfer-Encoding: gzip, chunked\r\n",
		"two lines":          "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n",
		"vertical tab":       "Transfer-Encoding: chunked\x0b\r\n",
		"underscore":         "Transfer_Encoding: chunked\r\n",
	} {
		cases[name] = head + te + body
	}
	rejectAll(t, cases, 400)
}

// Scenario 3, the valid spelling: header names and the value compare
// case-insensitively, so this is chunked (an empty body), and with a CL
// beside it the connection closes.
func TestHardeningTECaseInsensitiveIsChunked(t *testing.T) {
	b := startRecBackend(t)
	h := startGateway(t, configYAML(b.url, ""))
	rep := exchange(t, h.addr, probeWait,
		"POST / HTTP/1.1\r\nHost: gw\r\nContent-Length: 4\r\ntRANSFER-eNCODING: cHuNkEd\r\n\r\n0\r\n\r\n")
	rep.wantClosed(t, "mixed case TE", 200)
	reqs := b.waitRequests(t, 1)
	if len(reqs) != 1 || reqs[0].Body != "" {
		t.Fatalf("backend requests: %+v", reqs)
	}
	b.check(t)
}

// Scenario 4: bad or duplicate Content-Length: 400 and close, nothing
// forwarded; the 2.1e19 value does not wrap.
func TestHardeningBadContentLengthRejected(t *testing.T) {
	cases := map[string]string{}
	for name, cl := range map[string]string{
		"0 then 44": "Content-Length: 0\r\nContent-Length: 44\r\n",
		"5, 5":      "Content-Length: 5, 5\r\n",
		"+5":        "Content-Length: +5\r\n",
		"0x5":       "Content-Length: 0x5\r\n",
		"-1":        "Content-Length: -1\r\n",
		"2.1e19":    "Content-Length: 21000000000000000000\r\n",
		"empty":     "Content-Length:\r\n",
	} {
		cases[name] = "POST / HTTP/1.1\r\nHost: gw\r\n" + cl + "\r\nhello"
	}
	rejectAll(t, cases, 400)
}

// Scenario 5: bad chunk framing: 400 and close. A chunked body streams, so
// the backend may see the head of the request, but the upstream connection
// is closed before the request completes: no complete request reaches it.
func TestHardeningBadChunkFramingRejected(t *testing.T) {
	b := startRecBackend(t)
	h := startGateway(t, configYAML(b.url, ""))
	head := "POST / HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: chunked\r\n\r\n"
	for name, body := range map[string]string{
		"huge size":          "FFFFFFFFFFFFFFFFF\r\n" + strings.Repeat("a", 64) + "\r\n0\r\n\r\n",
		"negative":           "-1\r\n",
		"0x prefix":          "0x5\r\nhello\r\n0\r\n\r\n",
		"space before ext":   "5 ;ext\r\nhello\r\n0\r\n\r\n",
		"LF after extension": "5;ext\nhello\r\n0\r\n\r\n",
		"bare LF after size": "5\nhello\r\n0\r\n\r\n",
		"chunk too long":     "5\r\nhelloXX\r\n0\r\n\r\n",
		"missing CRLF":       "5\r\nhello0\r\n\r\n",
		"framing trailer":    "0\r\nContent-Length: 9\r\n\r\n",
	} {
		began := time.Now()
		exchange(t, h.addr, probeWait, head+body).wantClosed(t, name, 400)
		if d := time.Since(began); d > 2*time.Second {
			t.Errorf("%s: took %v", name, d)
		}
	}
	if reqs := b.requests(); len(reqs) != 0 {
		t.Errorf("a malformed chunked request reached the backend whole: %+v", reqs)
	}
}

// Scenario 5, a 1 MiB chunk extension: fasthttp skips extensions byte by
// byte in constant memory (the read deadline bounds the time), so the
// request is accepted; the extension is never forwarded.
func TestHardeningHugeChunkExtensionDropped(t *testing.T) {
	b := startRecBackend(t)
	h := startGateway(t, configYAML(b.url, ""))
	rep := exchange(t, h.addr, probeWait, "POST / HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"+
		"5;"+strings.Repeat("x", 1<<20)+"\r\nhello\r\n0\r\n\r\n")
	rep.wantClosed(t, "1 MiB extension", 200)
	reqs := b.waitRequests(t, 1)
	if len(reqs) != 1 || reqs[0].Body != "hello" || strings.Contains(b.received(), "xxx") {
		t.Errorf("backend requests: %+v", reqs)
	}
	b.check(t)
}

// Scenario 6: obs-fold is either rejected or unfolded to one line; never
// forwarded as CRLF-SP and never turns the request chunked. A first header
// line starting with whitespace is 400.
func TestHardeningObsFold(t *testing.T) {
	b := startRecBackend(t)
	h := startGateway(t, configYAML(b.url, ""))
	rep := exchange(t, h.addr, probeWait, "GET / HTTP/1.1\r\nHost: gw\r\nX-A: 1\r\n Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n")
	if len(rep.statuses) != 1 {
		t.Fatalf("obs-fold: %q", rep.raw)
	}
	switch rep.statuses[0] {
	case 400:
		if got := b.received(); got != "" {
			t.Errorf("a rejected fold reached the backend: %q", got)
		}
	case 200:
		reqs := b.waitRequests(t, 1)
		if len(reqs) != 1 || len(reqs[0].header("Transfer-Encoding")) != 0 ||
			strings.Join(reqs[0].header("X-A"), "|") != "1 Transfer-Encoding: chunked" {
			t.Errorf("obs-fold forwarded as %+v", reqs)
		}
		b.check(t)
	default:
		t.Errorf("obs-fold: status %d", rep.statuses[0])
	}
	if strings.Contains(b.received(), "\r\n ") {
		t.Errorf("CRLF-SP forwarded: %q", b.received())
	}
	rejectAll(t, map[string]string{"leading space": "GET / HTTP/1.1\r\n Host: gw\r\n\r\n"}, 400)
}

// Scenario 7: bare LF and bare CR. A bare CR in a value is 400; no value
// with CR or LF is ever forwarded; everything the backend gets is CRLF.
func TestHardeningBareCRAndLF(t *testing.T) {
	rejectAll(t, map[string]string{"bare CR in value": "GET / HTTP/1.1\r\nHost: gw\r\nX-A: a\rb\r\n\r\n"}, 400)

	// A bare LF inside the header block ends a line, the same way every
	// time: X-A and Transfer-Encoding are two headers, and the backend gets
	// them re-serialised with CRLF, never a value holding a CR or LF.
	b := startRecBackend(t)
	h := startGateway(t, configYAML(b.url, "  limits:\n    read_timeout: 1\n"))
	rep := exchange(t, h.addr, probeWait, "GET / HTTP/1.1\r\nHost: gw\r\nX-A: a\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n0\r\n\r\n")
	rep.wantClosed(t, "bare LF in the block", 200)
	reqs := b.waitRequests(t, 1)
	if len(reqs) != 1 || strings.Join(reqs[0].header("X-A"), "|") != "a" || reqs[0].header("Transfer-Encoding")[0] != "chunked" {
		t.Errorf("bare LF forwarded as %+v", reqs)
	}
	b.check(t) // CRLF only, no CR or LF in any value

	// An all-bare-LF head never completes for fasthttp's scanner (it wants
	// CRLFCRLF): it is never forwarded and ends at the read deadline.
	began := time.Now()
	rep = exchange(t, h.addr, probeWait, "GET / HTTP/1.1\nHost: gw\n\n")
	if !rep.closed || time.Since(began) > 2500*time.Millisecond {
		t.Errorf("all bare LF: not closed at the 1 s read deadline (%v): %q", time.Since(began), rep.raw)
	}
	if len(rep.statuses) > 1 || (len(rep.statuses) == 1 && rep.statuses[0] != 408 && rep.statuses[0] != 400) {
		t.Errorf("all bare LF: %q", rep.raw)
	}
	t.Logf("all bare LF answered %v after %v", rep.statuses, time.Since(began))
	if len(b.requests()) != 1 {
		t.Errorf("all bare LF reached the backend: %q", b.received())
	}
}

// Scenario 8: request-line anomalies: 400 (505 for an unsupported
// version, 414/431 for a huge target) and close; nothing forwarded and a
// space in the target is never re-encoded.
func TestHardeningRequestLineAnomalies(t *testing.T) {
	host := "\r\nHost: gw\r\n\r\n"
	rejectAll(t, map[string]string{
		"double space":  "GET  /api/admin HTTP/1.1" + host,
		"trailing word": "GET /a HTTP/1.1 x" + host,
		"tab separator": "GET /a\tHTTP/1.1" + host,
		"space in path": "GET /a b HTTP/1.1" + host,
		"HTTP/1.10":     "GET /a HTTP/1.10" + host,
		"lower-case":    "GET /a http/1.1" + host,
		"no version":    "GET /a" + host,
		"NUL in method": "G\x00T /a HTTP/1.1" + host,
	}, 400)
}

func TestHardeningRequestLineVersionAndLength(t *testing.T) {
	b := startRecBackend(t)
	h := startGateway(t, configYAML(b.url, ""))
	exchange(t, h.addr, probeWait, "GET /a HTTP/2.0\r\nHost: gw\r\n\r\n").wantClosed(t, "HTTP/2.0", 505)
	exchange(t, h.addr, probeWait, "GET /"+strings.Repeat("a", 100<<10)+" HTTP/1.1\r\nHost: gw\r\n\r\n").wantClosed(t, "100 KiB target", 431)
	if got := b.received(); got != "" {
		t.Errorf("backend received: %.200q", got)
	}
	// %00 in the path is a valid escape: the gateway decodes it for routing
	// and forwards the original escaped form, never a raw NUL.
	rep := exchange(t, h.addr, probeWait, "GET /a%00b HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\n")
	if len(rep.statuses) != 1 {
		t.Fatalf("%%00: %q", rep.raw)
	}
	if rep.statuses[0] == 200 {
		reqs := b.waitRequests(t, 1)
		if len(reqs) != 1 || strings.ContainsRune(reqs[0].Target, 0) {
			t.Errorf("%%00 forwarded as %+v", reqs)
		}
	} else if rep.statuses[0] != 400 {
		t.Errorf("%%00: status %d", rep.statuses[0])
	}
	b.check(t)
}

// Scenario 9: Host anomalies are 400; the Host the backend gets is the
// validated one.
func TestHardeningHostAnomalies(t *testing.T) {
	cases := map[string]string{}
	for name, host := range map[string]string{
		"no Host":      "",
		"two Hosts":    "Host: gw\r\nHost: other\r\n",
		"two ports":    "Host: gw:80:81\r\n",
		"open bracket": "Host: [::1\r\n",
		"userinfo":     "Host: a@gw\r\n",
		"slash":        "Host: gw/x\r\n",
		"NUL":          "Host: gw\x00\r\n",
		"empty":        "Host:\r\n",
	} {
		cases[name] = "GET / HTTP/1.1\r\n" + host + "\r\n"
	}
	rejectAll(t, cases, 400)
}
