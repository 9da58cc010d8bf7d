package proxy

import (
	"io"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

// pattern is an endless reader of a repeating byte pattern.
type pattern struct{ n int64 }

func (p *pattern) Read(b []byte) (int, error) {
	for i := range b {
		b[i] = byte(p.n + int64(i))
	}
	p.n += int64(len(b))
	return len(b), nil
}

// heapPeak samples the heap while f runs and returns the growth of its peak.
func heapPeak(f func()) uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapInuse
	var peak atomic.Uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				var m runtime.MemStats
				runtime.ReadMemStats(&m)
				if m.HeapInuse > peak.Load() {
					peak.Store(m.HeapInuse)
				}
			}
		}
	}()
	f()
	close(stop)
	wg.Wait()
	if peak.Load() < base {
		return 0
	}
	return peak.Load() - base
}

func TestLargeDownloadStreams(t *testing.T) {
	size := streamTestBytes
	backend := startBackend(t, func(ctx *fasthttp.RequestCtx) {
		ctx.SetBodyStream(io.LimitReader(&pattern{}, size), int(size))
	})
	h := startGateway(t, configYAML(backend, ""))
	var got int64
	growth := heapPeak(func() {
		resp, err := httpClient.Get(h.url + "/big")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.ContentLength != size {
			t.Errorf("Content-Length %d, want %d", resp.ContentLength, size)
		}
		got, err = io.Copy(io.Discard, resp.Body)
		if err != nil {
			t.Fatal(err)
		}
	})
	if got != size {
		t.Fatalf("received %d of %d bytes", got, size)
	}
	if growth > 16<<20 {
		t.Fatalf("heap grew by %d MiB while streaming %d MiB: the body was buffered", growth>>20, size>>20)
	}
	t.Logf("streamed %d MiB, heap peak growth %d KiB", size>>20, growth>>10)
}

func TestLargeUploadStreams(t *testing.T) {
	size := streamTestBytes / 4
	var seen atomic.Int64
	backend := startBackend(t, func(ctx *fasthttp.RequestCtx) {
		n, _ := io.Copy(io.Discard, ctx.RequestBodyStream())
		seen.Store(n)
	})
	h := startGateway(t, configYAML(backend, "  limits: {max_body_bytes: 2147483648}\n"))
	growth := heapPeak(func() {
		req, _ := http.NewRequest("POST", h.url+"/upload", io.LimitReader(&pattern{}, size))
		req.ContentLength = size
		resp, err := httpClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("status %d", resp.StatusCode)
		}
	})
	if seen.Load() != size {
		t.Fatalf("backend got %d of %d bytes", seen.Load(), size)
	}
	if growth > 16<<20 {
		t.Fatalf("heap grew by %d MiB while uploading %d MiB", growth>>20, size>>20)
	}
}
