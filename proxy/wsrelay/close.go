package wsrelay

import (
	"math/rand/v2"
	"time"
)

// Close codes the gateway sends itself (RFC 6455 §7.4.1). Every other
// code passes through unchanged inside the peers' own close frames.
const (
	wsGoingAway     = 1001 // shutdown, reload removed the rule, idle timeout
	wsProtocolError = 1002 // a peer broke the framing rules
	wsTooBig        = 1009 // max_message_bytes exceeded
	wsInternalError = 1011 // the backend went away without a close frame
)

// wsCloseWait bounds a closing handshake the gateway starts on its own
// (idle timeout, size limit, protocol error, backend death).
const wsCloseWait = 5 * time.Second

// closeFrame builds a close frame; masked for frames to the backend.
func closeFrame(code uint16, reason string, masked bool) []byte {
	if len(reason) > 123 {
		reason = reason[:123]
	}
	n := 2 + len(reason)
	f := make([]byte, 0, 2+4+n)
	payload := append([]byte{byte(code >> 8), byte(code)}, reason...)
	if !masked {
		return append(append(f, 0x88, byte(n)), payload...)
	}
	key := rand.Uint32()
	m := [4]byte{byte(key >> 24), byte(key >> 16), byte(key >> 8), byte(key)}
	f = append(f, 0x88, 0x80|byte(n), m[0], m[1], m[2], m[3])
	for i, b := range payload {
		f = append(f, b^m[i&3])
	}
	return f
}
