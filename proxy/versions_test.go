package proxy

import (
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

// testClock is a settable clock for the version log.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// TestVersionsStampedWhenReloaded: a reload by SIGHUP or by the file
// watcher, with no dashboard page open (nothing reads the source in
// between), is listed at the time it took effect, not when a page asked,
// with its origin; and it can be rolled back to.
func TestVersionsStampedWhenReloaded(t *testing.T) {
	a := startBackend(t, func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString("a") })
	b := startBackend(t, func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString("b") })
	c := startBackend(t, func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString("c") })
	h, src, path := startSourced(t, configYAML(a, ""))
	clock := &testClock{t: time.Date(2026, 12, 7, 8, 5, 0, 0, time.UTC)}
	h.gw.versions.mu.Lock()
	h.gw.versions.now = clock.now
	h.gw.versions.mu.Unlock()
	get := func() string { _, body := do(t, "GET", h.url+"/x", nil, nil); return body }

	sighup := time.Date(2026, 12, 7, 8, 5, 4, 0, time.UTC)
	clock.set(sighup)
	if err := os.WriteFile(path, []byte(configYAML(b, "")), 0o600); err != nil {
		t.Fatal(err)
	}
	if !h.gw.ReloadLogged(path, "SIGHUP") {
		t.Fatal("SIGHUP reload refused")
	}
	edited := time.Date(2026, 12, 7, 8, 6, 30, 0, time.UTC)
	clock.set(edited)
	w := h.gw.Watch(path, 10*time.Millisecond)
	defer w.Stop()
	if err := os.WriteFile(path, []byte(configYAML(c, "")), 0o600); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); get() != "c"; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the watcher did not reload the edited file")
		}
	}
	clock.set(time.Date(2026, 12, 7, 8, 9, 0, 0, time.UTC)) // the page opens later

	vs := src.Versions()
	if len(vs) != 3 {
		t.Fatalf("versions: %+v", vs)
	}
	if vs[0].Origin != "file changed" || !vs[0].AppliedAt.Equal(edited) || !vs[0].Current {
		t.Fatalf("file edit: %+v", vs[0])
	}
	if vs[1].Origin != "SIGHUP" || !vs[1].AppliedAt.Equal(sighup) || vs[1].Version != 2 {
		t.Fatalf("SIGHUP: %+v", vs[1])
	}
	if cfg := src.Config(); cfg.Version != vs[0].Version || !cfg.LoadedAt.Equal(edited) {
		t.Fatalf("config: version %d loaded %v", cfg.Version, cfg.LoadedAt)
	}
	if _, err := src.Rollback(vs[1].Version); err != nil {
		t.Fatal(err)
	}
	if got := get(); got != "b" {
		t.Fatalf("after rollback to the SIGHUP version: %q", got)
	}
}

// TestHealthEventsStampedWhenSeen: an ejection that happens while nothing
// reads the dashboard source is in the timeline at the time it happened.
func TestHealthEventsStampedWhenSeen(t *testing.T) {
	a := startBackend(t, func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString("a") })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + ln.Addr().String()
	ln.Close()
	h, src, _ := startSourced(t, "premier:\n  servers: [\""+dead+"\", \""+a+"\"]\n"+
		"  default_features:\n    retry: {max_attempts: 2, wait: 0}\n")
	var ejectedBy time.Time
	for i := 0; i < 50 && ejectedBy.IsZero(); i++ {
		do(t, "GET", h.url+"/x", nil, nil)
		for _, b := range h.gw.backendStates() {
			if b.URL == dead && b.Ejected {
				ejectedBy = time.Now()
			}
		}
	}
	if ejectedBy.IsZero() {
		t.Fatal("the dead backend was never ejected")
	}
	time.Sleep(time.Second) // nobody looks
	read := time.Now()
	var found bool
	for _, e := range src.Snapshot().HealthEvents {
		if e.Backend == dead && e.Ejected {
			found = true
			if e.Time.After(ejectedBy.Add(healthSampleEvery+50*time.Millisecond)) || read.Sub(e.Time) < 600*time.Millisecond {
				t.Fatalf("ejection stamped %v; it happened by %v, read at %v", e.Time, ejectedBy, read)
			}
		}
	}
	if !found {
		t.Fatalf("no ejection in %+v", src.Snapshot().HealthEvents)
	}
}
