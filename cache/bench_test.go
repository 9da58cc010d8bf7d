package cache

import (
	"bufio"
	"context"
	"io"
	"strconv"
	"testing"

	"github.com/valyala/fasthttp"
)

// BenchmarkHit is the gateway's hit path: build the default key, Lookup,
// write the 4 KiB entry into the response.
func BenchmarkHit(b *testing.B) {
	ctx := newCtx("GET", "/api/users?b=2&a=1")
	p := &Policy{Rule: "api"}
	c := primed(b, ctx, p)
	defer c.Close()
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		ctx.Response.Reset()
		buf = AppendDefaultKey(buf[:0], &ctx.Request, nil)
		if res, _ := c.Lookup(ctx, p, buf); res != Hit {
			b.Fatal("miss")
		}
	}
}

// BenchmarkHitWire adds fasthttp's serialisation of the response.
func BenchmarkHitWire(b *testing.B) {
	ctx := newCtx("GET", "/api/users?b=2&a=1")
	p := &Policy{Rule: "api"}
	c := primed(b, ctx, p)
	defer c.Close()
	buf := make([]byte, 0, 256)
	w := bufio.NewWriterSize(io.Discard, 16<<10)
	b.ReportAllocs()
	for b.Loop() {
		ctx.Response.Reset()
		buf = AppendDefaultKey(buf[:0], &ctx.Request, nil)
		if res, _ := c.Lookup(ctx, p, buf); res != Hit {
			b.Fatal("miss")
		}
		if err := ctx.Response.Write(w); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkHitParallel spreads hits over 1024 hot keys on every core.
func BenchmarkHitParallel(b *testing.B) {
	c, err := New(testConfig())
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	p := &Policy{Rule: "api"}
	const keys = 1024
	for i := range keys {
		ctx := newCtx("GET", "/k/"+strconv.Itoa(i))
		_, fill := c.Lookup(ctx, p, ctx.Path())
		ctx.Response.SetBody(make([]byte, 4096))
		fill.Done(ctx)
	}
	c.l1.Wait()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		ctxs := make([]*fasthttp.RequestCtx, keys)
		for i := range ctxs {
			ctxs[i] = newCtx("GET", "/k/"+strconv.Itoa(i))
		}
		i := 0
		for pb.Next() {
			ctx := ctxs[i%keys]
			i++
			ctx.Response.Reset()
			c.Lookup(ctx, p, ctx.Path())
		}
	})
}

func BenchmarkDefaultKey(b *testing.B) {
	req := &newCtx("GET", "/api/users/42/orders?sort=desc&page=3&limit=50").Request
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendDefaultKey(buf[:0], req, nil)
	}
}

// BenchmarkMissFill is the miss path: Lookup, then Done storing 4 KiB.
func BenchmarkMissFill(b *testing.B) {
	c, err := New(testConfig())
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	p := &Policy{Rule: "api"}
	ctx := newCtx("GET", "/m")
	body := make([]byte, 4096)
	key := make([]byte, 0, 32)
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		n++
		key = strconv.AppendInt(key[:0], int64(n), 10)
		ctx.Response.Reset()
		res, fill := c.Lookup(ctx, p, key)
		if res != Miss {
			b.Fatal("hit")
		}
		ctx.Response.SetBody(body)
		fill.Done(ctx)
	}
}

func BenchmarkMemoizeHit(b *testing.B) {
	c, err := New(testConfig())
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	f := Memoize(c, "user", 0, func(_ context.Context, id string) (string, error) { return "user " + id, nil })
	ctx := context.Background()
	_, _ = f(ctx, "42")
	c.l1.Wait()
	b.ReportAllocs()
	for b.Loop() {
		_, _ = f(ctx, "42")
	}
}
