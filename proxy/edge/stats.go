package edge

import (
	"crypto/tls"
	"errors"
	"io"
	"net"
	"strings"
	"sync/atomic"
	"syscall"
)

// Handshake failure reasons, a small fixed set (a metrics label).
const (
	FailTimeout           = "timeout"            // no finished handshake within the deadline
	FailClosed            = "closed"             // the client closed or reset the connection
	FailNotTLS            = "not_tls"            // the first bytes were not a TLS handshake (plain HTTP to the TLS port)
	FailUnsupported       = "unsupported"        // no common version, cipher suite or ALPN protocol
	FailClientCertificate = "client_certificate" // client_auth: missing or unverified client certificate
	FailNoCertificate     = "no_certificate"     // no certificate to serve for the name
	FailOther             = "other"
)

// FailReasons lists the reasons in a fixed order.
var FailReasons = []string{FailTimeout, FailClosed, FailNotTLS, FailUnsupported, FailClientCertificate, FailNoCertificate, FailOther}

// Version and ALPN labels of completed handshakes.
var (
	Versions = []string{"1.2", "1.3"}
	ALPNs    = []string{"h1", "h2", "other"}
)

// Stats counts a listener's handshakes: completed by version and ALPN
// protocol, failed by reason. Safe for concurrent use; the zero value is
// ready.
type Stats struct {
	done   [2][3]atomic.Uint64 // [Versions][ALPNs]
	failed [7]atomic.Uint64    // [FailReasons]
}

// Done counts a completed handshake.
func (s *Stats) Done(st *tls.ConnectionState) {
	v := 0
	if st.Version == tls.VersionTLS13 {
		v = 1
	}
	a := 2
	switch st.NegotiatedProtocol {
	case "", ProtoHTTP11:
		a = 0
	case ProtoH2:
		a = 1
	}
	s.done[v][a].Add(1)
}

// Failed counts a failed handshake under its reason.
func (s *Stats) Failed(err error) { s.failed[reasonIndex(err)].Add(1) }

// Handshakes returns the completed handshakes for Versions[v], ALPNs[a].
func (s *Stats) Handshakes(v, a int) uint64 { return s.done[v][a].Load() }

// Failures returns the failed handshakes for FailReasons[r].
func (s *Stats) Failures(r int) uint64 { return s.failed[r].Load() }

// reasonIndex classifies a handshake error into FailReasons.
func reasonIndex(err error) int {
	var ne net.Error
	var cv *tls.CertificateVerificationError
	var rh tls.RecordHeaderError
	msg := err.Error()
	switch {
	case errors.As(err, &ne) && ne.Timeout():
		return 0
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.ECONNRESET), errors.Is(err, net.ErrClosed), errors.Is(err, syscall.EPIPE):
		return 1
	case errors.As(err, &rh), strings.Contains(msg, "does not look like a TLS handshake"):
		return 2
	case errors.As(err, &cv), strings.Contains(msg, "didn't provide a certificate"), strings.Contains(msg, "client certificate"):
		return 4
	case errors.Is(err, errNoCertificate):
		return 5
	case strings.Contains(msg, "unsupported versions"), strings.Contains(msg, "no cipher suite"), strings.Contains(msg, "no application protocol"),
		strings.Contains(msg, "protocol version"), strings.Contains(msg, "no mutually supported"), strings.Contains(msg, "unsupported"):
		return 3
	}
	return 6
}
