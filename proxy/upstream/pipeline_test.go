package upstream

import (
	"testing"

	"github.com/valyala/fasthttp"
)

// TestPipelinableOnlyBodilessGET: HEAD never pipelines (a backend that
// answers it with a body would have that body read as the next answer),
// nor does anything with a body or another method.
func TestPipelinableOnlyBodilessGET(t *testing.T) {
	for _, tc := range []struct {
		method, body string
		want         bool
	}{
		{"GET", "", true},
		{"HEAD", "", false},
		{"GET", "x", false},
		{"POST", "", false},
		{"OPTIONS", "", false},
	} {
		req := fasthttp.AcquireRequest()
		req.Header.SetMethod(tc.method)
		req.SetRequestURI("http://backend/x")
		if tc.body != "" {
			req.SetBodyString(tc.body)
		}
		if got := Pipelinable(req); got != tc.want {
			t.Errorf("%s with body %q: pipelinable %v, want %v", tc.method, tc.body, got, tc.want)
		}
		fasthttp.ReleaseRequest(req)
	}
}
