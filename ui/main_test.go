package ui

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/premier-gateway/premier/internal/leaktest"
)

// TestMain checks that no test leaves a goroutine behind (live streams
// included). fasthttp's own background helpers outlive a server by design.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, leaktest.FastHTTP()...)
}
