package lb

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/premier-gateway/premier/internal/leaktest"
)

func TestMain(m *testing.M) {
	// fasthttp's own background sleepers (idle-connection cleaner, the
	// server's worker-pool cleaner, the global Date updater and DNS cache cleaner) outlive
	// Close/Shutdown by up to their sleep; they are fasthttp's, not ours.
	goleak.VerifyTestMain(m, leaktest.FastHTTP()...)
}
