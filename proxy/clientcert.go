package proxy

import (
	"crypto/tls"

	"github.com/valyala/fasthttp"

	"github.com/premier-gateway/premier/proxy/config"
)

// hdrClientCN is the header the verified client certificate's subject
// common name is forwarded in (tls.client_auth). A client's own copy is
// removed from every request first, so a backend can trust it.
const hdrClientCN = "X-Client-Cert-Cn"

// connTLS is what a TLS connection tells about its handshake.
type connTLS interface {
	ConnectionState() tls.ConnectionState
}

// clientCN returns the subject common name of the certificate the client
// presented and the handshake verified against tls.client_auth.ca_file;
// "" without one (no client_auth, no certificate, a plain connection).
func clientCN(ctx *fasthttp.RequestCtx) string {
	c, ok := ctx.Conn().(connTLS)
	if !ok {
		return ""
	}
	st := c.ConnectionState()
	if len(st.VerifiedChains) == 0 || len(st.PeerCertificates) == 0 {
		return ""
	}
	return st.PeerCertificates[0].Subject.CommonName
}

// asksClientCerts reports whether the running config's TLS listener asks
// clients for certificates (a request over TLS may then carry a CN).
func (t *table) asksClientCerts() bool {
	tc := t.loaded.Config.TLS
	return tc != nil && tc.ClientAuth.Mode != "" && tc.ClientAuth.Mode != config.ClientAuthNone
}

// plainValue reports whether v holds no control byte, so a CA's odd
// subject cannot split or end the header it is forwarded in.
func plainValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < ' ' || c == 0x7f {
			return false
		}
	}
	return true
}
