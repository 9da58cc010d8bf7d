//go:build !race

package cache

import (
	"context"
	"testing"

	"github.com/valyala/fasthttp"
)

func hitAllocs(t *testing.T, ctx *fasthttp.RequestCtx, p *Policy, respHdrs ...string) {
	t.Helper()
	c := primed(t, ctx, p, respHdrs...)
	defer c.Close()
	buf := make([]byte, 0, 256)
	allocs := testing.AllocsPerRun(1000, func() {
		ctx.Response.Reset()
		buf = AppendDefaultKey(buf[:0], &ctx.Request, nil)
		if res, _ := c.Lookup(ctx, p, buf); res != Hit {
			t.Fatal("miss")
		}
	})
	if allocs != 0 {
		t.Fatalf("hit allocates %v times", allocs)
	}
}

func TestHitAllocs(t *testing.T) {
	p := &Policy{Rule: "api"}
	t.Run("GET", func(t *testing.T) { hitAllocs(t, newCtx("GET", "/api/users?b=2&a=1"), p) })
	t.Run("HEAD", func(t *testing.T) {
		ctx := newCtx("GET", "/api/users")
		c := primed(t, ctx, p)
		defer c.Close()
		ctx.Request.Header.SetMethod("HEAD")
		allocs := testing.AllocsPerRun(1000, func() {
			ctx.Response.Reset()
			if res, _ := c.Lookup(ctx, p, AppendDefaultKey(make([]byte, 0, 64)[:0], &ctx.Request, nil)); res != Hit {
				t.Fatal("miss")
			}
		})
		if allocs != 0 {
			t.Fatalf("HEAD hit allocates %v times", allocs)
		}
	})
	t.Run("Vary", func(t *testing.T) {
		hitAllocs(t, newCtx("GET", "/api/v", "Accept-Encoding", "gzip"), p, "Vary", "Accept-Encoding")
	})
	t.Run("expire_s", func(t *testing.T) { hitAllocs(t, newCtx("GET", "/e"), &Policy{Rule: "e", ExpireS: 60}) })
}

func TestDefaultKeyAllocs(t *testing.T) {
	req := &newCtx("GET", "/a/b?z=1&y=2&x=3&w=4").Request
	buf := make([]byte, 0, 128)
	if n := testing.AllocsPerRun(1000, func() { buf = AppendDefaultKey(buf[:0], req, nil) }); n != 0 {
		t.Fatalf("AppendDefaultKey allocates %v times", n)
	}
}

func TestMemoizeHitAllocs(t *testing.T) {
	c, err := New(testConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	f := Memoize(c, "sq", 0, func(_ context.Context, k int) (int, error) { return k * k, nil })
	ctx := context.Background()
	if _, err := f(ctx, 7); err != nil {
		t.Fatal(err)
	}
	c.l1.Wait()
	if n := testing.AllocsPerRun(1000, func() { _, _ = f(ctx, 7) }); n != 0 {
		t.Fatalf("memoized hit allocates %v times", n)
	}
}

// TestNotModifiedHitAllocs: a hit answered 304 for If-None-Match or
// If-Modified-Since allocates no more than a 200 hit (nothing).
func TestNotModifiedHitAllocs(t *testing.T) {
	p := &Policy{Rule: "api"}
	for _, c := range [][]string{
		{"If-None-Match", `"x", W/"abc"`},
		{"If-Modified-Since", "Tue, 01 Jan 2030 00:00:00 GMT"},
	} {
		t.Run(c[0], func(t *testing.T) {
			ctx := newCtx("GET", "/api/c")
			c2 := primed(t, ctx, p, "Last-Modified", "Mon, 31 Dec 2029 00:00:00 GMT")
			defer c2.Close()
			ctx.Request.Header.Set(c[0], c[1])
			buf := make([]byte, 0, 256)
			allocs := testing.AllocsPerRun(1000, func() {
				ctx.Response.Reset()
				buf = AppendDefaultKey(buf[:0], &ctx.Request, nil)
				if res, _ := c2.Lookup(ctx, p, buf); res != Hit || ctx.Response.StatusCode() != 304 {
					t.Fatal("not a 304 hit")
				}
			})
			if allocs != 0 {
				t.Fatalf("304 hit allocates %v times", allocs)
			}
		})
	}
}

// TestRangeHitAllocs: a Range served from a hit (206) allocates nothing.
func TestRangeHitAllocs(t *testing.T) {
	p := &Policy{Rule: "api"}
	ctx := newCtx("GET", "/api/r")
	c := primed(t, ctx, p)
	defer c.Close()
	ctx.Request.Header.Set("Range", "bytes=100-199")
	ctx.Request.Header.Set("If-Range", `"abc"`)
	buf := make([]byte, 0, 256)
	allocs := testing.AllocsPerRun(1000, func() {
		ctx.Response.Reset()
		buf = AppendDefaultKey(buf[:0], &ctx.Request, nil)
		if res, _ := c.Lookup(ctx, p, buf); res != Hit || ctx.Response.StatusCode() != 206 || len(ctx.Response.Body()) != 100 {
			t.Fatal("not a 206 hit")
		}
	})
	if allocs != 0 {
		t.Fatalf("206 hit allocates %v times", allocs)
	}
}
