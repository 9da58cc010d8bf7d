package h2

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// The last call for new connections at Shutdown: a connection that has
// not opened a stream and opened less than newConnLastCall ago is not
// sent GOAWAY at once, as a new HTTP/1.1 connection is not closed as
// idle, so the request its client sent just as the drain began is
// answered; older ones, and those that served a stream, get GOAWAY at
// once as before.

// settled waits until the server has read the client's preface and
// SETTINGS (its SETTINGS ACK).
func (r *rawClient) settled(t *testing.T) {
	t.Helper()
	r.next(t, func(f http2.Frame) bool { s, ok := f.(*http2.SettingsFrame); return ok && s.IsAck() })
}

// shutdown starts ts's Shutdown with a ctx of grace and returns once the
// server is draining; Shutdown's result comes on the channel.
func (ts *testServer) shutdown(t *testing.T, grace time.Duration) <-chan error {
	t.Helper()
	res := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), grace)
		defer cancel()
		res <- ts.srv.Shutdown(ctx)
	}()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
		ts.srv.mu.Lock()
		closing := ts.srv.closing
		ts.srv.mu.Unlock()
		if closing {
			return res
		}
		if time.Now().After(deadline) {
			t.Fatal("Shutdown did not begin")
		}
	}
}

// answer is what the client saw on a connection until it ended.
type answer struct {
	status  map[uint32]string // stream → :status
	body    map[uint32]string // stream → its DATA
	goAway  bool
	last    uint32 // the GOAWAY's last stream
	code    http2.ErrCode
	goAwayT time.Time // when the GOAWAY came
	closed  bool      // the connection ended within the wait
}

// read reads frames until the connection ends or d passes.
func (r *rawClient) read(d time.Duration) answer {
	a := answer{status: map[uint32]string{}, body: map[uint32]string{}}
	r.fr.ReadMetaHeaders = hpack.NewDecoder(4096, nil)
	_ = r.c.SetReadDeadline(time.Now().Add(d))
	for {
		f, err := r.fr.ReadFrame()
		if err != nil {
			var ne net.Error
			a.closed = !(errors.As(err, &ne) && ne.Timeout())
			return a
		}
		switch f := f.(type) {
		case *http2.MetaHeadersFrame:
			if s := f.PseudoValue("status"); s != "" {
				a.status[f.StreamID] = s
			}
		case *http2.DataFrame:
			a.body[f.StreamID] += string(f.Data())
		case *http2.GoAwayFrame:
			a.goAway, a.last, a.code, a.goAwayT = true, f.LastStreamID, f.ErrCode, time.Now()
		}
	}
}

// A client whose connection is ready (preface and SETTINGS exchanged)
// when Shutdown begins, and whose first request comes just after, is
// answered in full; then GOAWAY names that stream and the connection
// closes, without waiting for the last call's 5 s.
func TestShutdownAnswersNewConnection(t *testing.T) {
	ts := serveTLS(t, func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString("hello " + string(ctx.Path())) }, Options{})
	r := dialRaw(t, ts.addr, ts.pool)
	defer r.c.Close()
	r.settled(t)
	start := time.Now()
	shut := ts.shutdown(t, 10*time.Second)
	time.Sleep(100 * time.Millisecond) // what the client would see of an at-once GOAWAY
	r.get(t, 1, "/late")
	a := r.read(5 * time.Second)
	if a.status[1] != "200" || a.body[1] != "hello /late" {
		t.Fatalf("the first request after Shutdown began: status %q body %q, want 200 \"hello /late\"", a.status[1], a.body[1])
	}
	if !a.goAway || a.last != 1 || a.code != http2.ErrCodeNo || !a.closed {
		t.Fatalf("GOAWAY %v last %d %v, closed %v; want NO_ERROR naming stream 1, then the close", a.goAway, a.last, a.code, a.closed)
	}
	if err := <-shut; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("Shutdown took %v: the connection waited for the last call's end, not its stream", d)
	}
}

// A connection handed to ServeConn once Shutdown began (a handshake the
// listener let finish) is served, not closed unanswered, and Shutdown
// waits for it; MaxConnections still holds for such connections.
func TestShutdownServesLateConnection(t *testing.T) {
	release := make(chan struct{})
	started := make(chan struct{})
	ts := serveTLS(t, func(ctx *fasthttp.RequestCtx) {
		if string(ctx.Path()) == "/slow" {
			close(started)
			<-release
		}
		ctx.SetBodyString("ok " + string(ctx.Path()))
	}, Options{MaxConnections: 2})
	old := dialRaw(t, ts.addr, ts.pool)
	defer old.c.Close()
	old.settled(t)
	old.get(t, 1, "/slow") // keeps Shutdown waiting
	<-started
	shut := ts.shutdown(t, 10*time.Second)
	late := dialRaw(t, ts.addr, ts.pool) // accepted and handed over after Shutdown began
	defer late.c.Close()
	late.settled(t)
	over, err := tls.Dial("tcp", ts.addr, &tls.Config{RootCAs: ts.pool, ServerName: "localhost", NextProtos: []string{"h2"}})
	if err != nil {
		t.Fatal(err)
	}
	defer over.Close()
	_ = over.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := over.Read(make([]byte, 1)); err == nil {
		t.Error("a connection over MaxConnections was served during the drain")
	}
	late.get(t, 1, "/late")
	a := late.read(5 * time.Second)
	if a.status[1] != "200" || a.body[1] != "ok /late" || !a.goAway || a.last != 1 || !a.closed {
		t.Fatalf("late connection: %+v; want 200 \"ok /late\", GOAWAY naming stream 1, closed", a)
	}
	select {
	case err := <-shut:
		t.Fatalf("Shutdown returned (%v) with a stream in flight", err)
	case <-time.After(100 * time.Millisecond):
	}
	close(release)
	if a := old.read(5 * time.Second); a.status[1] != "200" || a.body[1] != "ok /slow" || !a.goAway || a.last != 1 || !a.closed {
		t.Fatalf("old connection: %+v; want its stream answered, GOAWAY naming it, closed", a)
	}
	if err := <-shut; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if n := ts.srv.Refused(); n != 1 {
		t.Errorf("Refused() = %d, want 1", n)
	}
}

// A new connection that never sends a request is not kept past its last
// call: GOAWAY naming no stream once it is newConnIdle old; and Shutdown's
// grace closes one whose last call outlasts it.
func TestShutdownSilentNewConnection(t *testing.T) {
	t.Run("last call", func(t *testing.T) {
		const lastCall = 400 * time.Millisecond
		ts := serveTLS(t, func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString("ok") }, Options{newConnIdle: lastCall})
		opened := time.Now()
		r := dialRaw(t, ts.addr, ts.pool)
		defer r.c.Close()
		r.settled(t)
		shut := ts.shutdown(t, 10*time.Second)
		a := r.read(5 * time.Second)
		if !a.goAway || a.last != 0 || a.code != http2.ErrCodeNo || !a.closed {
			t.Fatalf("GOAWAY %v last %d %v, closed %v; want NO_ERROR naming no stream, then the close", a.goAway, a.last, a.code, a.closed)
		}
		if d := a.goAwayT.Sub(opened); d < lastCall-50*time.Millisecond {
			t.Errorf("GOAWAY %v after the connection opened, before its last call of %v ended", d, lastCall)
		}
		if err := <-shut; err != nil {
			t.Fatalf("Shutdown: %v", err)
		}
	})
	t.Run("grace", func(t *testing.T) {
		ts := serveTLS(t, func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString("ok") }, Options{})
		r := dialRaw(t, ts.addr, ts.pool)
		defer r.c.Close()
		r.settled(t)
		start := time.Now()
		shut := ts.shutdown(t, 300*time.Millisecond)
		if a := r.read(5 * time.Second); !a.closed {
			t.Fatal("the connection outlived Shutdown's grace")
		}
		if err := <-shut; !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Shutdown: %v, want the deadline", err)
		}
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("closed %v after Shutdown began, grace 300 ms", d)
		}
	})
}

// A connection that has served a stream, or that opened longer ago than
// the last call lasts, is idle: GOAWAY at once, as before.
func TestShutdownIdleConnectionGoAwayAtOnce(t *testing.T) {
	for _, tc := range []struct {
		name    string
		opts    Options
		streams int
		wait    time.Duration
	}{
		{"served a stream", Options{}, 1, 0}, // new (the last call is 5 s) but not silent
		{"older than the last call", Options{newConnIdle: 200 * time.Millisecond}, 0, 300 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := serveTLS(t, func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString("ok") }, tc.opts)
			r := dialRaw(t, ts.addr, ts.pool)
			defer r.c.Close()
			r.settled(t)
			if tc.streams > 0 {
				r.get(t, 1, "/")
				r.next(t, func(f http2.Frame) bool { d, ok := f.(*http2.DataFrame); return ok && d.StreamEnded() })
			}
			time.Sleep(tc.wait)
			start := time.Now()
			shut := ts.shutdown(t, 10*time.Second)
			a := r.read(5 * time.Second)
			if !a.goAway || a.last != uint32(tc.streams) || a.code != http2.ErrCodeNo || !a.closed {
				t.Fatalf("GOAWAY %v last %d %v, closed %v; want NO_ERROR naming stream %d, then the close", a.goAway, a.last, a.code, a.closed, tc.streams)
			}
			if d := a.goAwayT.Sub(start); d > time.Second {
				t.Errorf("GOAWAY %v after Shutdown began, want at once", d)
			}
			if err := <-shut; err != nil {
				t.Fatalf("Shutdown: %v", err)
			}
		})
	}
}
