package lb

import (
	"errors"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

func TestPoolGetKeepsBackends(t *testing.T) {
	var configured int
	p := NewPool(func(c *fasthttp.HostClient) {
		configured++
		c.ReadTimeout = 3 * time.Second
		c.MaxIdemponentCallAttempts = 5 // forced back to 1
	})
	defer p.Close()
	a, err := p.Get(Server{URL: "http://127.0.0.1:80"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := p.Get(Server{URL: "http://127.0.0.1", Weight: 3})
	if err != nil {
		t.Fatal(err)
	}
	if a != b {
		t.Fatal("same address gave two backends")
	}
	if configured != 1 {
		t.Fatalf("configure ran %d times, want 1", configured)
	}
	if a.Client.ReadTimeout != 3*time.Second || a.Client.MaxIdemponentCallAttempts != 1 || a.Client.RetryIfErr == nil {
		t.Fatalf("client not configured: %+v", a.Client)
	}
	if a.Client.Addr != "127.0.0.1:80" || a.Client.IsTLS {
		t.Fatalf("client addr %q tls %v", a.Client.Addr, a.Client.IsTLS)
	}
	s, err := p.Get(Server{URL: "https://example.test"})
	if err != nil {
		t.Fatal(err)
	}
	if s.URL != "https://example.test:443" || !s.Client.IsTLS || s == a {
		t.Fatalf("https backend: %q tls %v", s.URL, s.Client.IsTLS)
	}
	if _, err := p.Get(Server{URL: "ftp://x"}); err == nil {
		t.Fatal("bad URL accepted")
	}
}

func TestPoolRetainAndClose(t *testing.T) {
	p := NewPool(nil)
	a, _ := p.Get(Server{URL: "http://127.0.0.1:1001"})
	b, _ := p.Get(Server{URL: "http://127.0.0.1:1002"})
	a.Start()
	a.Done(time.Millisecond, false)
	p.Retain([]string{"http://127.0.0.1:1001/"})
	if got := p.Backends(); len(got) != 1 || got[0] != a {
		t.Fatalf("Backends after Retain = %v", got)
	}
	a2, _ := p.Get(Server{URL: "http://127.0.0.1:1001"})
	if a2 != a || a2.Stats().Requests != 1 {
		t.Fatal("retained backend lost its state")
	}
	b2, _ := p.Get(Server{URL: "http://127.0.0.1:1002"})
	if b2 == b {
		t.Fatal("forgotten backend came back")
	}
	p.Close()
	if len(p.Backends()) != 0 {
		t.Fatal("backends left after Close")
	}
	if _, err := p.Get(Server{URL: "http://127.0.0.1:1001"}); !errors.Is(err, ErrPoolClosed) {
		t.Fatalf("Get after Close: %v", err)
	}
}

func TestBackendClientNoRetry(t *testing.T) {
	srv := startServer(t)
	p := NewPool(nil)
	defer p.Close()
	b, err := p.Get(Server{URL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	req.SetRequestURI("/x")
	req.Header.SetHost(b.Target.Addr)
	if err := b.Client.Do(req, resp); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode() != 200 || string(resp.Body()) != "ok" {
		t.Fatalf("got %d %q", resp.StatusCode(), resp.Body())
	}
	if retry, _ := b.Client.RetryIfErr(req, 1, errors.New("x")); retry {
		t.Fatal("client retries are on")
	}
}
