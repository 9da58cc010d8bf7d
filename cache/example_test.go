package cache_test

import (
	"context"
	"fmt"
	"time"

	"github.com/premier-gateway/premier/cache"
	"github.com/valyala/fasthttp"
)

func ExampleMemoize() {
	c, err := cache.New(cache.Config{MaxBytes: 64 << 20, MaxEntryBytes: 1 << 20})
	if err != nil {
		panic(err)
	}
	defer c.Close()

	calls := 0
	lookupUser := cache.Memoize(c, "users", time.Minute, func(_ context.Context, id int) (string, error) {
		calls++
		return fmt.Sprintf("user-%d", id), nil
	})
	ctx := context.Background()
	name, _ := lookupUser(ctx, 42)
	fmt.Println(name)
	_, _ = lookupUser(ctx, 42) // usually from the cache; the memory tier may drop a fresh entry
	fmt.Println(calls >= 1)
	// Output:
	// user-42
	// true
}

func ExampleCache_Lookup() {
	c, err := cache.New(cache.Config{MaxBytes: 64 << 20, MaxEntryBytes: 8 << 20})
	if err != nil {
		panic(err)
	}
	defer c.Close()
	policy := &cache.Policy{Rule: "api", ExpireS: 300}
	backend := func(ctx *fasthttp.RequestCtx) error { ctx.SetBodyString(`{"ok":true}`); return nil }

	handler := func(ctx *fasthttp.RequestCtx) {
		var buf [256]byte
		key := cache.AppendDefaultKey(buf[:0], &ctx.Request, nil)
		res, fill := c.Lookup(ctx, policy, key)
		switch res {
		case cache.Hit:
			return
		case cache.Bypass:
			_ = backend(ctx)
		case cache.Miss:
			if err := backend(ctx); err != nil {
				fill.Abort()
				return
			}
			fill.Done(ctx)
		}
	}

	ctx := &fasthttp.RequestCtx{}
	ctx.Request.SetRequestURI("http://example.com/api/items?b=2&a=1")
	handler(ctx)
	fmt.Println(string(ctx.Response.Header.Peek("X-Cache")), string(ctx.Response.Header.Peek("Cache-Status")))
	// Output: MISS premier; fwd=uri-miss; fwd-status=200; stored; ttl=300
}

func ExampleAppendDefaultKey() {
	req := fasthttp.AcquireRequest()
	defer fasthttp.ReleaseRequest(req)
	req.SetRequestURI("http://Example.COM/items?b=2&a=1")
	fmt.Println(string(cache.AppendDefaultKey(nil, req, nil)))
	// Output: G|example.com|/items?a=1&b=2
}
