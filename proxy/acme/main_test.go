package acme

import (
	"os"
	"slices"
	"testing"

	"github.com/premier-gateway/premier/internal/leaktest"
	"go.uber.org/goleak"
)

// Stop owns every goroutine the manager starts: none may outlive the tests
// (certmagic's process-wide ones are named in leaktest.CertMagic). The
// test binary doubles as a second gateway instance for the shared-storage
// test when instanceEnv is set.
func TestMain(m *testing.M) {
	if os.Getenv(instanceEnv) != "" {
		os.Exit(runInstance())
	}
	goleak.VerifyTestMain(m, slices.Concat(leaktest.FastHTTP(), leaktest.CertMagic())...)
}
