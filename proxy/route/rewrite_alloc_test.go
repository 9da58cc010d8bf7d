//go:build !race

package route

import (
	"testing"
)

func TestRewriteAllocs(t *testing.T) {
	tab, errs := Compile([]string{"/users/{id}"})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	ctx := rewriteCtx("/users/7?tab=home", "X-A", "v")
	path := []byte("/users/7")
	var caps Captures
	tab.Match(path, &caps)
	v := &Vars{Path: path, Caps: &caps, RequestID: []byte("r1")}
	dst, tmp := make([]byte, 0, 256), make([]byte, 0, 256)
	for _, s := range []RewriteSpec{
		{StripPrefix: "/users", AddPrefix: "/v1"},
		{Path: "/u/{id}/{query.tab}/{header.X-A}/{request_id}"},
		{Regex: "^/users/([0-9]+)$", Replace: "/people/$1"},
	} {
		r, err := CompileRewrite(s, tab.CaptureNames(0))
		if err != nil {
			t.Fatal(err)
		}
		assertNoAllocs(t, "rewrite", func() { dst, tmp, _ = r.Append(dst, tmp, ctx, v) })
	}
	tp, _ := CompileValueTemplate("{host}-{query.tab}-{header.X-A}-{id}", tab.CaptureNames(0))
	for _, esc := range []Escape{EscapeHeader, EscapePath, EscapeURL} {
		assertNoAllocs(t, "value", func() { dst = tp.AppendValue(dst[:0], ctx, v, esc) })
	}
}
