package accesslog

import (
	"io"
	"net/netip"
	"testing"
	"time"
)

// BenchmarkFormatJSON is the writer's work per line: one record formatted,
// a request with a secret in its query (sample) and a plain proxied
// request with a minted request ID, the bench mix's line (proxied).
func BenchmarkFormatJSON(b *testing.B) {
	for _, c := range []struct {
		name string
		fill func(*Record)
	}{{"sample", sampleRecord}, {"proxied", proxiedRecord}} {
		b.Run(c.name, func(b *testing.B) {
			f, _ := newFormatter(FormatJSON, []string{"api_key"})
			var r Record
			c.fill(&r)
			buf := make([]byte, 0, 64<<10)
			b.ReportAllocs()
			for b.Loop() {
				buf = f.appendLine(buf[:0], &r)
			}
			_, _ = io.Discard.Write(buf)
		})
	}
}

// BenchmarkBeginCommit is the request path's work per line besides
// filling the fields: claiming and publishing a record (drained by a
// writer to io.Discard's equivalent, /dev/null).
func BenchmarkBeginCommit(b *testing.B) {
	l, err := Open(Options{Path: "/dev/null", Format: FormatJSON, Buffer: 4096})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	b.ReportAllocs()
	for b.Loop() {
		if r := l.Begin(); r != nil {
			r.SetString(Path, "/api/users/42")
			l.Commit(r)
		}
	}
}

// proxiedRecord fills r as a plain proxied request's record.
func proxiedRecord(r *Record) {
	r.reset()
	r.Time = time.Date(2026, 12, 7, 17, 31, 9, 123456789, time.UTC)
	r.Status, r.BytesOut = 200, 95
	r.Duration, r.UpstreamTime = 533*time.Microsecond, 526*time.Microsecond
	r.Upstream, r.Rule = "http://127.0.0.1:18600", "default"
	r.SetString(RequestID, "6b176083bf9e953e0000000200e3")
	r.SetClientAddr(netip.MustParseAddr("127.0.0.1"))
	r.SetString(Method, "GET")
	r.SetString(Proto, "HTTP/1.1")
	r.SetString(Host, "127.0.0.1:18601")
	r.SetString(Path, "/small")
	r.SetString(UserAgent, "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36")
}
