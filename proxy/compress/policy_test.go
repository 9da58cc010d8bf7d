package compress

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	brotli "github.com/molecule-man/go-brrr"
	"github.com/valyala/fasthttp"
)

// decode reads b in coding c with the decoders.
func decode(t testing.TB, c Coding, b []byte) []byte {
	t.Helper()
	var r io.Reader
	switch c {
	case Gzip:
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		r = zr
	case Zstd:
		zr, err := zstd.NewReader(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		defer zr.Close()
		r = zr
	case Br:
		r = brotli.NewReader(bytes.NewReader(b))
	default:
		return b
	}
	out, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("%v: %v", c, err)
	}
	return out
}

func TestAppendEncodedRoundTrip(t *testing.T) {
	p := testPolicy(t)
	src := []byte(strings.Repeat(`{"id":12345,"name":"premier","tags":["a","b"]},`, 2000))
	for _, c := range []Coding{Zstd, Br, Gzip} {
		for i := 0; i < 3; i++ { // pooled encoders are reset between uses
			enc := p.AppendEncoded([]byte("prefix"), src, c)
			if !bytes.HasPrefix(enc, []byte("prefix")) || len(enc) >= len(src)/4 {
				t.Fatalf("%v: %d bytes from %d", c, len(enc), len(src))
			}
			if got := decode(t, c, enc[len("prefix"):]); !bytes.Equal(got, src) {
				t.Fatalf("%v: round trip differs", c)
			}
		}
	}
}

func TestAppliesAndHeaders(t *testing.T) {
	p := testPolicy(t)
	body := bytes.Repeat([]byte("a"), 2048)
	mk := func(edit func(*fasthttp.Response)) *fasthttp.Response {
		r := new(fasthttp.Response)
		r.Header.SetContentType("application/json; charset=utf-8")
		r.SetBody(body)
		edit(r)
		return r
	}
	for name, tc := range map[string]struct {
		edit func(*fasthttp.Response)
		ok   bool
	}{
		"json":            {func(*fasthttp.Response) {}, true},
		"text/*":          {func(r *fasthttp.Response) { r.Header.SetContentType("TEXT/HTML") }, true},
		"image/png":       {func(r *fasthttp.Response) { r.Header.SetContentType("image/png") }, false},
		"text/ alone":     {func(r *fasthttp.Response) { r.Header.SetContentType("text/") }, false},
		"encoded":         {func(r *fasthttp.Response) { r.Header.Set("Content-Encoding", "gzip") }, false},
		"no-transform":    {func(r *fasthttp.Response) { r.Header.Set("Cache-Control", "public, No-Transform") }, false},
		"content-range":   {func(r *fasthttp.Response) { r.Header.Set("Content-Range", "bytes 0-1/2048") }, false},
		"206":             {func(r *fasthttp.Response) { r.SetStatusCode(206) }, false},
		"204":             {func(r *fasthttp.Response) { r.SetStatusCode(204) }, false},
		"304":             {func(r *fasthttp.Response) { r.SetStatusCode(304) }, false},
		"small":           {func(r *fasthttp.Response) { r.SetBody(body[:1023]) }, false},
		"min exactly":     {func(r *fasthttp.Response) { r.SetBody(body[:1024]) }, true},
		"404 json":        {func(r *fasthttp.Response) { r.SetStatusCode(404) }, true},
		"stream unknown":  {func(r *fasthttp.Response) { r.SetBodyStream(bytes.NewReader(body[:10]), -1) }, true},
		"stream small":    {func(r *fasthttp.Response) { r.SetBodyStream(bytes.NewReader(body[:10]), 10) }, false},
		"no content type": {func(r *fasthttp.Response) { r.Header.SetNoDefaultContentType(true); r.Header.Del("Content-Type") }, false},
	} {
		if got := p.Applies(mk(tc.edit)); got != tc.ok {
			t.Errorf("%s: Applies %v, want %v", name, got, tc.ok)
		}
	}

	var h fasthttp.ResponseHeader
	AddVary(&h)
	AddVary(&h)
	if v := string(h.Peek("Vary")); v != "Accept-Encoding" {
		t.Errorf("Vary %q", v)
	}
	h.Set("Vary", "Origin")
	AddVary(&h)
	if v := string(h.Peek("Vary")); v != "Origin, Accept-Encoding" {
		t.Errorf("merged Vary %q", v)
	}
	h.Set("Vary", "*")
	AddVary(&h)
	if v := string(h.Peek("Vary")); v != "*" {
		t.Errorf("Vary * %q", v)
	}
	h.Set("ETag", `"abc"`)
	h.Set("Accept-Ranges", "bytes")
	Mark(&h, Br)
	if string(h.Peek("ETag")) != `W/"abc"` || string(h.Peek("Content-Encoding")) != "br" || len(h.Peek("Accept-Ranges")) != 0 {
		t.Errorf("marked: %s", h.String())
	}
	Mark(&h, Br) // a weak ETag stays as it is
	if string(h.Peek("ETag")) != `W/"abc"` {
		t.Errorf("weak ETag: %q", h.Peek("ETag"))
	}
}
