//go:build unix

package h2

import (
	"bytes"
	"crypto/tls"
	"io"
	"syscall"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// smallBody is the size of the benchmark backend's /small answer.
var smallBody = bytes.Repeat([]byte("x"), 100)

// BenchmarkServeStreams measures the server's cost per stream: one TLS
// connection over loopback, a frame-level client (cheap next to the
// server: pre-encoded header blocks, no HPACK decoding of the answers)
// keeping `inflight` streams open at a time as h2load -m 10 does, and a
// handler answering like the benchmark backend's /small (a few fields
// and a ~100-byte body). ns/op and allocs/op are per request, the
// client's share included (it allocates little: one frame per read).
func BenchmarkServeStreams(b *testing.B) {
	ts := serveTLS(b, func(ctx *fasthttp.RequestCtx) {
		ctx.Response.Header.SetContentType("text/plain; charset=utf-8")
		ctx.Response.Header.Set("X-Backend", "b1")
		ctx.SetBody(smallBody)
	}, Options{})
	const inflight = 10
	c, err := tls.Dial("tcp", ts.addr, &tls.Config{RootCAs: ts.pool, ServerName: "localhost", NextProtos: []string{"h2"}})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	if _, err := io.WriteString(c, http2.ClientPreface); err != nil {
		b.Fatal(err)
	}
	fr := http2.NewFramer(c, c)
	fr.SetReuseFrames()
	if err := fr.WriteSettings(); err != nil {
		b.Fatal(err)
	}
	var hb bytes.Buffer
	enc := hpack.NewEncoder(&hb)
	for _, f := range []hpack.HeaderField{
		{Name: ":method", Value: "GET"}, {Name: ":scheme", Value: "https"},
		{Name: ":authority", Value: "localhost"}, {Name: ":path", Value: "/small"},
		{Name: "user-agent", Value: "h2load nghttp2/1.64.0"}, {Name: "accept", Value: "*/*"},
	} {
		_ = enc.WriteField(f)
	}
	block := hb.Bytes()
	next := uint32(1)
	open := func() {
		if err := fr.WriteHeaders(http2.HeadersFrameParam{StreamID: next, BlockFragment: block, EndStream: true, EndHeaders: true}); err != nil {
			b.Fatal(err)
		}
		next += 2
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	sent, done, unacked := 0, 0, 0
	for ; sent < min(inflight, b.N); sent++ {
		open()
	}
	for done < b.N {
		f, err := fr.ReadFrame()
		if err != nil {
			b.Fatal(err)
		}
		switch f := f.(type) {
		case *http2.DataFrame:
			unacked += len(f.Data())
			if unacked > 32<<10 {
				_ = fr.WriteWindowUpdate(0, uint32(unacked))
				unacked = 0
			}
		case *http2.GoAwayFrame:
			b.Fatalf("GOAWAY %v", f.ErrCode)
		case *http2.RSTStreamFrame:
			b.Fatalf("RST_STREAM %v", f.ErrCode)
		case *http2.SettingsFrame:
			if !f.IsAck() {
				_ = fr.WriteSettingsAck()
			}
		}
		if f.Header().Flags.Has(http2.FlagDataEndStream) && (f.Header().Type == http2.FrameData || f.Header().Type == http2.FrameHeaders) {
			done++
			if sent < b.N {
				open()
				sent++
			}
		}
	}
	b.StopTimer()
	// The machine may be shared: the process's CPU time per request is
	// the figure to compare, wall time per request only on a quiet one.
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
}

// cpuTime is the CPU time the process has used (user and system).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
