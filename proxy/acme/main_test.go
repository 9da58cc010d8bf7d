package acme

import (
	"slices"
	"testing"

	"github.com/premier-gateway/premier/internal/leaktest"
	"go.uber.org/goleak"
)

// Stop owns every goroutine the manager starts: none may outlive the tests
// (certmagic's process-wide ones are named in leaktest.CertMagic).
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, slices.Concat(leaktest.FastHTTP(), leaktest.CertMagic())...)
}
