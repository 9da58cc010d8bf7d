package proxy

import (
	"crypto/tls"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/premier-gateway/premier/internal/tlstest"
)

// clientWith is an HTTPS client trusting ca that presents cert (nil:
// none), one connection per request.
func clientWith(ca *tlstest.CA, cert *tlstest.Issued) *http.Client {
	cfg := ca.ClientConfig("localhost")
	if cert != nil {
		cfg.Certificates = []tls.Certificate{cert.TLS}
	}
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: cfg, DisableKeepAlives: true}}
}

// getWith sends GET target over TLS with a forged X-Client-Cert-CN and
// returns the status, or the error of a refused handshake.
func (h *tlsHarness) getWith(t *testing.T, c *http.Client, target string) (int, error) {
	t.Helper()
	req, _ := http.NewRequest("GET", "https://"+h.tlsAddr+target, nil)
	req.Header.Set("X-Client-Cert-CN", "root")
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.ReadAll(resp.Body)
	return resp.StatusCode, nil
}

// TestTLSClientAuth: with mode require a client without a certificate,
// or with one from another CA, fails its handshake; with verify_if_given
// it is served without a CN and one from another CA still fails; a
// verified client's subject CN reaches the backend in X-Client-Cert-CN
// and a client's own copy of the header never does.
func TestTLSClientAuth(t *testing.T) {
	ca, leaf := localLeaf(t)
	alice := ca.Issue(tlstest.Leaf{Names: []string{"alice"}, Client: true})
	stranger := tlstest.NewCA(t).Issue(tlstest.Leaf{Names: []string{"alice"}, Client: true})
	for _, mode := range []string{"require", "verify_if_given"} {
		b := startRecBackend(t)
		h := startTLSGateway(t, ca, configYAML(b.url, tlsBlock(leaf, "    client_auth: {ca_file: \""+ca.CertFile+"\", mode: "+mode+"}\n")))
		code, err := h.getWith(t, clientWith(ca, nil), "/anon")
		if mode == "require" {
			if err == nil {
				t.Fatalf("require without a certificate: %d, want a failed handshake", code)
			}
		} else if err != nil || code != 200 {
			t.Fatalf("verify_if_given without a certificate: %d %v", code, err)
		}
		if code, err := h.getWith(t, clientWith(ca, stranger), "/stranger"); err == nil {
			t.Fatalf("%s with another CA's certificate: %d, want a failed handshake", mode, code)
		}
		if code, err := h.getWith(t, clientWith(ca, alice), "/alice"); err != nil || code != 200 {
			t.Fatalf("%s with a certificate: %d %v", mode, code, err)
		}
		want := 1
		if mode == "verify_if_given" {
			want = 2
		}
		for _, r := range b.waitRequests(t, want) {
			got := strings.Join(r.header("X-Client-Cert-Cn"), "|")
			switch r.Target {
			case "/alice":
				if got != "alice" {
					t.Errorf("%s: X-Client-Cert-CN %q, want alice", mode, got)
				}
			default:
				if got != "" {
					t.Errorf("%s %s: X-Client-Cert-CN %q, want none", mode, r.Target, got)
				}
			}
		}
	}
}

// TestTLSClientCNRateLimitKey: a rate limit keyed on {tls.client_cn}
// counts each certificate's subject apart, and clients without one share
// the empty key.
func TestTLSClientCNRateLimitKey(t *testing.T) {
	ca, leaf := localLeaf(t)
	alice := ca.Issue(tlstest.Leaf{Names: []string{"alice"}, Client: true})
	bob := ca.Issue(tlstest.Leaf{Names: []string{"bob"}, Client: true})
	b := startRecBackend(t)
	h := startTLSGateway(t, ca, configYAML(b.url, `  paths:
    - pattern: /api/*
      features:
        rate_limit: {quota: 1, duration: 3600, key: "cn:{tls.client_cn}"}
`+tlsBlock(leaf, "    client_auth: {ca_file: \""+ca.CertFile+"\", mode: verify_if_given}\n")))
	for _, step := range []struct {
		name string
		cert *tlstest.Issued
		want int
	}{{"alice", alice, 200}, {"alice again", alice, 429}, {"bob", bob, 200}, {"anonymous", nil, 200}, {"anonymous again", nil, 429}, {"bob again", bob, 429}} {
		code, err := h.getWith(t, clientWith(ca, step.cert), "/api/x")
		if err != nil || code != step.want {
			t.Errorf("%s: %d %v, want %d", step.name, code, err, step.want)
		}
	}
}
