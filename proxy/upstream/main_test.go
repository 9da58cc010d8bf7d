package upstream

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/premier-gateway/premier/internal/leaktest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, leaktest.FastHTTP()...)
}
