//go:build !race

package proxy

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"testing"

	"github.com/valyala/fasthttp"
)

// jsonLines is a deterministic stream of n bytes of JSON lines.
type jsonLines struct {
	n, i int64
	buf  []byte
}

func (j *jsonLines) Read(p []byte) (int, error) {
	if j.n <= 0 {
		return 0, io.EOF
	}
	for len(j.buf) < len(p) {
		j.buf = append(j.buf, `{"seq":`...)
		j.buf = strconv.AppendInt(j.buf, j.i, 10)
		j.buf = append(j.buf, `,"name":"user-`...)
		j.buf = strconv.AppendInt(j.buf, j.i%977, 10)
		j.buf = append(j.buf, "\",\"ok\":true}\n"...)
		j.i++
	}
	n := copy(p, j.buf)
	if int64(n) > j.n {
		n = int(j.n)
	}
	j.buf = j.buf[:copy(j.buf, j.buf[n:])]
	j.n -= int64(n)
	return n, nil
}

// sameAs is a writer comparing what it is given with a reader's bytes.
type sameAs struct {
	r    io.Reader
	n    int64
	diff bool
	buf  []byte
}

func (s *sameAs) Write(p []byte) (int, error) {
	if cap(s.buf) < len(p) {
		s.buf = make([]byte, len(p))
	}
	b := s.buf[:len(p)]
	if _, err := io.ReadFull(s.r, b); err != nil || !bytes.Equal(b, p) {
		s.diff = true
	}
	s.n += int64(len(p))
	return len(p), nil
}

// TestCompressionStreamsLargeBody: a 32 MiB chunked answer is encoded as
// it is written, never held: the heap grows by a few encoder windows, and
// each coding decodes to exactly the backend's bytes.
func TestCompressionStreamsLargeBody(t *testing.T) {
	const size = 32 << 20
	backend := startBackend(t, func(ctx *fasthttp.RequestCtx) {
		ctx.SetContentType("application/json")
		ctx.SetBodyStream(&jsonLines{n: size}, -1) // chunked
	})
	h := startGateway(t, configYAML(backend, `  compression: {types: [application/json]}
`))
	for _, enc := range []string{"gzip", "zstd", "br"} {
		var wire int64
		var cmp sameAs
		growth := heapPeak(func() {
			resp, body := doRawStream(t, h.url+"/big", enc)
			defer body.Close()
			if ce := resp.Header.Get("Content-Encoding"); ce != enc || resp.ContentLength != -1 {
				t.Fatalf("%s: Content-Encoding %q, Content-Length %d", enc, ce, resp.ContentLength)
			}
			counted := &countingReader{r: body}
			dec := streamDecoder(t, enc, counted)
			cmp = sameAs{r: &jsonLines{n: size}}
			if _, err := io.Copy(&cmp, dec); err != nil {
				t.Fatalf("%s: %v", enc, err)
			}
			wire = counted.n
		})
		if cmp.diff || cmp.n != size {
			t.Fatalf("%s: decoded %d bytes, differ %v", enc, cmp.n, cmp.diff)
		}
		t.Logf("%s: 32 MiB in %d bytes on the wire, heap peak growth %d KiB", enc, wire, growth>>10)
		if growth > 24<<20 {
			t.Errorf("%s: heap grew %d MiB while streaming 32 MiB: the body was held", enc, growth>>20)
		}
	}
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func doRawStream(t *testing.T, url, enc string) (*httpResponse, io.ReadCloser) {
	t.Helper()
	req, err := newRequest("GET", url)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept-Encoding", enc)
	resp, err := rawClient.Do(req)
	if err != nil {
		t.Fatal(fmt.Errorf("GET %s: %w", url, err))
	}
	return resp, resp.Body
}
