//go:build !race

package h2

import (
	"bytes"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
	"golang.org/x/net/http2"

	"github.com/premier-gateway/premier/internal/memtest"
)

// slowHandler stands for a request that takes the backend a while.
func slowHandler(ctx *fasthttp.RequestCtx) {
	time.Sleep(20 * time.Millisecond)
	ctx.SetBodyString("ok")
}

// Rapid reset (CVE-2023-44487): a client opening streams and resetting
// each at once is cut off with GOAWAY ENHANCE_YOUR_CALM once it passes
// MaxResetsPerSecond, its connection closes, and other clients are
// answered meanwhile.
func TestFloodRapidReset(t *testing.T) {
	ts := serveTLS(t, slowHandler, Options{MaxResetsPerSecond: 200})
	r := dialRaw(t, ts.addr, ts.pool)
	defer r.c.Close()
	block := r.block("/")
	var sent atomic.Int64
	go func() {
		for id := uint32(1); ; id += 2 {
			if r.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: block, EndStream: true, EndHeaders: true}) != nil ||
				r.fr.WriteRSTStream(id, http2.ErrCodeCancel) != nil {
				return
			}
			sent.Add(1)
		}
	}()
	code, sawGoAway, closed := r.goAway(10 * time.Second)
	if !sawGoAway || code != http2.ErrCodeEnhanceYourCalm || !closed {
		t.Fatalf("after %d resets: GOAWAY %v (%v), closed %v", sent.Load(), sawGoAway, code, closed)
	}
	if n := ts.srv.Floods(); n != 1 {
		t.Errorf("Floods() = %d, want 1", n)
	}
	resp, err := ts.client().Get(ts.url("/"))
	if err != nil || resp.StatusCode != 200 || resp.Proto != "HTTP/2.0" {
		t.Fatalf("a well-behaved client after the flood: %v %v", resp, err)
	}
	resp.Body.Close()
}

// CONTINUATION flood (CVE-2024-27316): a header block that never ends,
// in empty CONTINUATION frames (which add no bytes for the library's
// header limit to catch) or in full ones, ends the connection.
func TestFloodContinuation(t *testing.T) {
	ts := serveTLS(t, slowHandler, Options{})
	for _, tc := range []struct {
		name     string
		fragment []byte
		code     http2.ErrCode
	}{
		{"empty fragments", nil, http2.ErrCodeEnhanceYourCalm},
		{"1 KiB fragments", bytes.Repeat([]byte{0x40, 0x01, 'x', 0x7f}, 256), 0}, // the library's header limit ends it
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := dialRaw(t, ts.addr, ts.pool)
			defer r.c.Close()
			block := r.block("/")
			go func() {
				if r.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: block, EndHeaders: false}) != nil {
					return
				}
				for {
					if r.fr.WriteContinuation(1, false, tc.fragment) != nil {
						return
					}
				}
			}()
			code, sawGoAway, closed := r.goAway(10 * time.Second)
			if !closed {
				t.Fatal("the flooding connection stayed open")
			}
			if tc.code != 0 && (!sawGoAway || code != tc.code) {
				t.Fatalf("GOAWAY %v (%v), want %v", sawGoAway, code, tc.code)
			}
		})
	}
}

// Many flooding connections at once, of both kinds, for two seconds: the
// live heap stays under 64 MiB above where it started, every flooding
// connection is closed, and a well-behaved client is answered throughout
// within its normal timeout.
func TestFloodMemoryBounded(t *testing.T) {
	const bound = 64 << 20
	ts := serveTLS(t, slowHandler, Options{})
	base := memtest.LiveHeap()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var conns, cut atomic.Int64
	for w := range 8 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				r := dialRaw(t, ts.addr, ts.pool)
				conns.Add(1)
				block := r.block("/")
				go func() {
					if w%2 == 0 { // rapid reset
						for id := uint32(1); ; id += 2 {
							if r.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: block, EndStream: true, EndHeaders: true}) != nil ||
								r.fr.WriteRSTStream(id, http2.ErrCodeCancel) != nil {
								return
							}
						}
					}
					if r.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: block}) != nil {
						return
					}
					for r.fr.WriteContinuation(1, false, nil) == nil {
					}
				}()
				if _, _, closed := r.goAway(10 * time.Second); closed {
					cut.Add(1)
				}
				r.c.Close()
			}
		})
	}
	client := ts.client()
	var peak uint64
	for end := time.Now().Add(2 * time.Second); time.Now().Before(end); {
		resp, err := client.Get(ts.url("/"))
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("well-behaved client during the flood: %v %v", resp, err)
		}
		resp.Body.Close()
		peak = max(peak, memtest.LiveHeap())
	}
	close(stop)
	wg.Wait()
	if conns.Load() == 0 || cut.Load() != conns.Load() {
		t.Fatalf("%d flooding connections, %d closed by the server", conns.Load(), cut.Load())
	}
	if peak > base && peak-base > bound {
		t.Fatalf("live heap grew %d MiB during the flood, bound %d MiB", (peak-base)>>20, bound>>20)
	}
	t.Logf("%d flooding connections closed; live heap peak +%d KiB", conns.Load(), (int64(peak)-int64(base))>>10)
}
