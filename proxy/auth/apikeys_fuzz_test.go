package auth

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/valyala/fasthttp"
)

// FuzzAPIKeyExtraction: whatever the header and query hold, Authenticate
// does not panic, admits only the one configured key, and leaves no
// parameter in the target that a backend would decode to the key's name.
func FuzzAPIKeyExtraction(f *testing.F) {
	const good = "the-good-key"
	h := sha256.Sum256([]byte(good))
	k, err := newAPIKeys(&APIKeysConfig{Header: "X-API-Key", Query: "api_key", Keys: []APIKey{{Name: "n", SHA256: hex.EncodeToString(h[:])}}})
	if err != nil {
		f.Fatal(err)
	}
	f.Add("", "/p?api_key=x")
	f.Add("the-good-kez", "/p?a=1&api%5fkey=the-good-key&b")
	f.Add("\x00", "/p?api_key=the-good-ke%79")
	f.Add("", "/p?api_key=%&api_key=%%&=&&")
	f.Fuzz(func(t *testing.T, header, uri string) {
		if !strings.HasPrefix(uri, "/") {
			uri = "/" + uri
		}
		var ctx fasthttp.RequestCtx
		ctx.Request.Header.DisableNormalizing()
		if header != "" {
			ctx.Request.Header.Set("X-API-Key", header)
		}
		st := &State{URI: []byte(uri)}
		res := k.Authenticate(&ctx, st)
		hdr := ctx.Request.Header.Peek("X-API-Key")
		_, qv, inQuery := takeQueryParam([]byte(uri), "api_key", nil)
		presented := string(qv)
		if hdr != nil {
			presented = string(hdr)
		}
		switch res {
		case Admitted:
			if presented != good || st.Identity.Consumer != "n" {
				t.Fatalf("admitted %q (header %q, uri %q)", presented, header, uri)
			}
		case NoCredentials:
			if hdr != nil || inQuery {
				t.Fatalf("credentials present but not found (header %q, uri %q)", header, uri)
			}
		case Refused:
			if presented == good {
				t.Fatalf("the good key refused (header %q, uri %q)", header, uri)
			}
		default:
			t.Fatalf("result %d", res)
		}
		if _, _, left := takeQueryParam(st.URI, "api_key", nil); left {
			t.Fatalf("%q still holds api_key after %q", st.URI, uri)
		}
	})
}
