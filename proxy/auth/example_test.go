package auth_test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/valyala/fasthttp"

	"github.com/premier-gateway/premier/proxy/auth"
)

// A rule's auth block compiled, and one request asked about: the request
// path does this for every request of the rule, method by method.
func ExampleNew() {
	sum := sha256.Sum256([]byte("s3cret"))
	a, err := auth.New(&auth.Config{APIKeys: &auth.APIKeysConfig{Header: "X-API-Key", Query: "api_key",
		Keys: []auth.APIKey{{Name: "mobile", SHA256: hex.EncodeToString(sum[:])}}}})
	if err != nil {
		panic(err)
	}
	var ctx fasthttp.RequestCtx
	st := &auth.State{URI: []byte("/v1/items?api_key=s3cret&page=2")}
	res := a.APIKeys.Authenticate(&ctx, st)
	fmt.Println(res == auth.Admitted, st.Identity.Consumer, string(st.URI), a.Challenges())
	// Output: true mobile /v1/items?page=2 [Bearer]
}
