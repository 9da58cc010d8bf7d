package proxy

import (
	"testing"
)

// A request whose path the normaliser refuses (an encoded separator, NUL, a
// matrix parameter, invalid UTF-8, a malformed escape) is answered 400 with
// Connection: close, and the gateway really closes: a second request sent
// on the same connection, in the same packet or after the answer, is never
// read, answered or forwarded.
func TestHardeningBadPathClosesTheConnection(t *testing.T) {
	b := startRecBackend(t)
	h := startGateway(t, configYAML(b.url, ""))
	next := "GET /api/next HTTP/1.1\r\nHost: gw\r\n\r\n"
	for _, target := range []string{
		"/a%2Fb", "/a%5Cb", "/a%00", "/admin;x/y", "/%C0%AF", "/a%zz", "/a%4",
	} {
		bad := "GET " + target + " HTTP/1.1\r\nHost: gw\r\n\r\n"
		for name, parts := range map[string][]string{
			"same packet": {bad + next},
			"after":       {bad, next},
		} {
			rep := exchange(t, h.addr, probeWait, parts...)
			rep.wantClosed(t, target+" "+name, 400)
			if len(rep.resps) > 0 && !rep.resps[0].Close {
				t.Errorf("%s %s: the 400 lacks Connection: close:\n%q", target, name, rep.raw)
			}
		}
	}
	if got := b.received(); got != "" {
		t.Errorf("the backend received a request sent after a bad path:\n%q", got)
	}
}
