package cache

import (
	"bytes"
	"testing"

	"github.com/valyala/fasthttp"
)

// TestDerivedBodies: a body derived from a stored entry is kept with it
// (from the miss that stored it, or a hit), served only while the answer
// is that entry's, bounded by a quarter of max_bytes, and gone with the
// entry when it is purged.
func TestDerivedBodies(t *testing.T) {
	cfg := testConfig()
	cfg.MaxBytes, cfg.MaxEntryBytes = 64<<10, 16<<10 // derived budget: 16 KiB
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.EnableDerived()
	p := &Policy{Rule: "r"}
	var ctx fasthttp.RequestCtx
	lookup := func(uri string) (Result, *Fill) {
		ctx.Request.Reset()
		ctx.Request.SetRequestURI(uri)
		ctx.Request.Header.SetHost("gw.example")
		ctx.Response.Reset()
		ctx.ResetUserValues()
		return c.Lookup(&ctx, p, AppendDefaultKey(nil, &ctx.Request, nil))
	}
	body := bytes.Repeat([]byte("x"), 4096)
	store := func(uri string) {
		res, fill := lookup(uri)
		if res != Miss {
			t.Fatalf("%s: %v, want a miss", uri, res)
		}
		ctx.Response.Header.Set("Cache-Control", "max-age=600")
		ctx.Response.SetBody(body)
		fill.Done(&ctx)
	}

	store("/a")
	if !c.KeepDerived(&ctx, 1, []byte("a1")) { // the miss that stored it
		t.Fatal("miss: not kept")
	}
	if c.KeepDerived(&ctx, 1, []byte("other")) {
		t.Fatal("a slot is kept once")
	}
	c.l1.Wait()
	if res, _ := lookup("/a"); res != Hit || string(c.Derived(&ctx, 1)) != "a1" || c.Derived(&ctx, 2) != nil {
		t.Fatalf("hit: %v, slot 1 %q", res, c.Derived(&ctx, 1))
	}
	if !c.KeepDerived(&ctx, 2, bytes.Repeat([]byte("y"), 8<<10)) {
		t.Fatal("hit: not kept")
	}
	if c.KeepDerived(&ctx, 3, bytes.Repeat([]byte("z"), 8<<10)) {
		t.Fatal("kept past a quarter of max_bytes")
	}
	ctx.Response.SetBody([]byte("another body")) // no longer the entry's answer
	if c.Derived(&ctx, 1) != nil || c.KeepDerived(&ctx, 3, []byte("z")) {
		t.Fatal("derived bodies of an answer that is not the entry's")
	}
	if got := c.derivedBytes.Load(); got != 2+8<<10 {
		t.Fatalf("derived bytes %d", got)
	}
	if err := c.PurgeKey("r", AppendDefaultKey(nil, &ctx.Request, nil)); err != nil {
		t.Fatal(err)
	}
	c.l1.Wait()
	if got := c.derivedBytes.Load(); got != 0 {
		t.Fatalf("derived bytes %d after the purge, want 0", got)
	}
	store("/a") // refilled: nothing derived yet
	c.l1.Wait()
	if res, _ := lookup("/a"); res != Hit || c.Derived(&ctx, 1) != nil {
		t.Fatalf("after purge: %v, slot 1 %q", res, c.Derived(&ctx, 1))
	}
}
