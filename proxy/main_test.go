package proxy

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/premier-gateway/premier/internal/leaktest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, append(append(leaktest.FastHTTP(), leaktest.CertMagic()...),
		// net/http's client keep-alive connections of the test clients.
		goleak.IgnoreAnyFunction("net/http.(*persistConn).readLoop"),
		goleak.IgnoreAnyFunction("net/http.(*persistConn).writeLoop"),
		goleak.IgnoreAnyFunction("internal/poll.runtime_pollWait"),
	)...)
}
