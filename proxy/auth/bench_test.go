package auth

import (
	"crypto/sha256"
	"encoding/hex"
	"testing"

	"github.com/valyala/fasthttp"
)

// BenchmarkAPIKeyHeader is the cost of an admitted key from the header:
// one SHA-256 and one map lookup, no allocation.
func BenchmarkAPIKeyHeader(b *testing.B) {
	sum := sha256.Sum256([]byte("a-long-enough-api-key-0123456789"))
	k, err := newAPIKeys(&APIKeysConfig{Header: "X-API-Key", Keys: []APIKey{{Name: "n", SHA256: hex.EncodeToString(sum[:])}}})
	if err != nil {
		b.Fatal(err)
	}
	var ctx fasthttp.RequestCtx
	ctx.Request.Header.Set("X-API-Key", "a-long-enough-api-key-0123456789")
	st := &State{}
	b.ReportAllocs()
	for b.Loop() {
		if k.Authenticate(&ctx, st) != Admitted {
			b.Fatal("refused")
		}
	}
}
