package route

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/valyala/fasthttp"
)

// rewriteCtx is a request with the given target and headers.
func rewriteCtx(uri string, hdr ...string) *fasthttp.RequestCtx {
	ctx := &fasthttp.RequestCtx{}
	ctx.Request.SetRequestURI(uri)
	ctx.Request.Header.SetHost("Example.com")
	for i := 0; i+1 < len(hdr); i += 2 {
		ctx.Request.Header.Set(hdr[i], hdr[i+1])
	}
	return ctx
}

func TestRewrite(t *testing.T) {
	for _, c := range []struct {
		spec    RewriteSpec
		pattern string
		uri     string
		want    string // "" : ErrBadPath
	}{
		{RewriteSpec{StripPrefix: "/api"}, "/api/*", "/api/users", "/users"},
		{RewriteSpec{StripPrefix: "/api"}, "/api/*", "/api/", "/"},
		{RewriteSpec{StripPrefix: "/api"}, "/*", "/apix", "/apix"},
		{RewriteSpec{StripPrefix: "/api"}, "/*", "/api", "/"},
		{RewriteSpec{AddPrefix: "/v1"}, "/*", "/x", "/v1/x"},
		{RewriteSpec{StripPrefix: "/a", AddPrefix: "/b"}, "/*", "/a", "/b"},
		{RewriteSpec{StripPrefix: "/a", AddPrefix: "/b"}, "/*", "/a/c", "/b/c"},
		{RewriteSpec{Path: "/u/{id}/{query.tab}"}, "/users/{id}", "/users/7?tab=home", "/u/7/home"},
		{RewriteSpec{Path: "/u/{query.tab}"}, "/users/{id}", "/users/7?tab=a%3Fb%23c%20d", "/u/a%3Fb%23c%20d"},
		{RewriteSpec{Path: "/u/{query.tab}"}, "/users/{id}", "/users/7?tab=a%0d%0ab", "/u/a%0D%0Ab"},
		{RewriteSpec{Path: "/u/{query.tab}"}, "/users/{id}", "/users/7?tab=..", ""},
		{RewriteSpec{Path: "/u/{query.tab}"}, "/users/{id}", "/users/7?tab=%2e%2E", ""},
		{RewriteSpec{Path: "/u/{query.tab}"}, "/users/{id}", "/users/7?tab=a%2Fb", "/u/a/b"},
		{RewriteSpec{Path: "/u/{query.tab}"}, "/users/{id}", "/users/7?tab=a%252Fb", ""},
		{RewriteSpec{Path: "/u/{query.tab}"}, "/users/{id}", "/users/7?tab=%5C", ""},
		{RewriteSpec{Path: "/u{header.X-Sub}"}, "/users/{id}", "/users/7", "/u"},
		{RewriteSpec{Regex: "^/old/(.*)$", Replace: "/new/$1"}, "/*", "/old/a/b", "/new/a/b"},
		{RewriteSpec{Regex: "^/(?P<a>[a-z]+)/(?P<b>[0-9]+)$", Replace: "/${b}/${a}/$$"}, "/*", "/x/12", "/12/x/$"},
		{RewriteSpec{Regex: "v1", Replace: "v2"}, "/*", "/api/v1/x", "/api/v2/x"},
		{RewriteSpec{Regex: "^/nomatch", Replace: "/y"}, "/*", "/x", "/x"},
		{RewriteSpec{Regex: "^/p(.*)$", Replace: "/x/$1"}, "/*", "/p.", ""},
	} {
		tab, errs := Compile([]string{c.pattern})
		if len(errs) > 0 {
			t.Fatal(errs)
		}
		r, err := CompileRewrite(c.spec, tab.CaptureNames(0))
		if err != nil {
			t.Fatalf("%+v: %v", c.spec, err)
		}
		ctx := rewriteCtx(c.uri)
		path, _ := NormalizePath(nil, []byte(strings.SplitN(c.uri, "?", 2)[0]))
		var caps Captures
		if tab.Match(path, &caps) < 0 {
			t.Fatalf("%s does not match %s", c.uri, c.pattern)
		}
		out, _, err := r.Append(nil, nil, ctx, &Vars{Path: path, Caps: &caps})
		if c.want == "" {
			if !errors.Is(err, ErrBadPath) {
				t.Errorf("%+v %s: %q, %v; want ErrBadPath", c.spec, c.uri, out, err)
			}
			continue
		}
		if err != nil || string(out) != c.want {
			t.Errorf("%+v %s: %q, %v; want %q", c.spec, c.uri, out, err, c.want)
		}
	}
}

func TestCompileRewriteRefuses(t *testing.T) {
	for _, s := range []RewriteSpec{
		{},
		{StripPrefix: "/a", Path: "/b"},
		{Path: "/a", Regex: "x", Replace: "/y"},
		{StripPrefix: "a"}, {StripPrefix: "/a/"}, {StripPrefix: "/"}, {StripPrefix: "/a/../b"}, {StripPrefix: "/a//b"},
		{AddPrefix: "/a?b"}, {AddPrefix: "/a%2Fb"},
		{Path: "a/{x}"}, {Path: "/a?{x}"}, {Path: "/a#"}, {Path: "/a\r\n"}, {Path: "/{nope}"}, {Path: "/a b"},
		{Regex: "("}, {Regex: "x"}, {Replace: "/y"}, {Regex: "^/(x)", Replace: "/$2"}, {Regex: "^/(x)", Replace: "/${n}"},
		{Regex: "^/(x)", Replace: "/$"}, {Regex: "^/(x)", Replace: "/$x"}, {Regex: "^/(x)", Replace: "y$1"},
		{Regex: "^/(x)", Replace: "/${1"}, {Regex: "^/(x)", Replace: "/a b"},
	} {
		if _, err := CompileRewrite(s, []string{"id"}); err == nil {
			t.Errorf("%+v: accepted", s)
		}
	}
}

func TestValueTemplateEscapes(t *testing.T) {
	tp, err := CompileValueTemplate("[{header.X-A}|{query.q}|{host}|{request_id}|{consumer}]", nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := rewriteCtx("/x?q=a%0d%0ab%00c%20%C3%A9\"<>", "X-A", "v\tw")
	v := &Vars{RequestID: []byte("id-1"), Consumer: "al\nice"}
	for esc, want := range map[Escape]string{
		EscapeHeader: "[v\tw|abc \u00e9\"<>|example.com|id-1|alice]",
		EscapePath:   "[v%09w|a%0D%0Ab%00c%20\u00e9%22%3C%3E|example.com|id-1|al%0Aice]",
		EscapeURL:    "[v%09w|a%0D%0Ab%00c%20%C3%A9%22%3C%3E|example.com|id-1|al%0Aice]",
	} {
		if got := string(tp.AppendValue(nil, ctx, v, esc)); got != want {
			t.Errorf("escape %d: %q, want %q", esc, got, want)
		}
	}
	if _, err := CompileTemplate("{request_id}", nil); err == nil {
		t.Error("a key template accepted {request_id}")
	}
	if _, err := CompileValueTemplate("a\r\nb", nil); err == nil {
		t.Error("a literal CR LF was accepted")
	}
}

// FuzzRewrite: whatever the request's values and the rewrite, Append never
// panics, and its output is a normalised path (NormalizePath's fixed
// point, so no dot segment, no "//", no raw '?', '#', CR or LF) without
// a dot segment climbing out of a literal prefix.
func FuzzRewrite(f *testing.F) {
	f.Add("/u/{query.a}/{id}", "", "", "/users/7", "a=x", "h")
	f.Add("", "^/old/(.*)$", "/new/$1", "/old/a/b", "", "")
	f.Add("/p{header.X-H}", "", "", "/users/..", "", "/../x")
	f.Add("/{query.a}{query.b}", "", "", "/users/1", "a=.&b=.", "")
	f.Add("", "(.)", "/$1/..", "/users/%2e", "", "")
	f.Fuzz(func(t *testing.T, tmpl, re, repl, rawPath, query, hdr string) {
		tab, _ := Compile([]string{"/users/{id}"})
		r, err := CompileRewrite(RewriteSpec{Path: tmpl, Regex: re, Replace: repl}, tab.CaptureNames(0))
		if err != nil {
			return
		}
		if strings.ContainsAny(rawPath, "? ") {
			return // a request target's path never holds them: '?' starts the query
		}
		path, err := NormalizePath(nil, []byte(rawPath))
		if err != nil {
			return
		}
		ctx := &fasthttp.RequestCtx{}
		ctx.Request.Header.SetRequestURI("/x?" + query)
		ctx.Request.Header.Set("X-H", hdr)
		var caps Captures
		tab.Match(path, &caps)
		out, _, err := r.Append(nil, nil, ctx, &Vars{Path: path, Caps: &caps})
		if err != nil {
			if !errors.Is(err, ErrBadPath) {
				t.Fatalf("error %v", err)
			}
			return
		}
		again, err := NormalizePath(nil, out)
		if err != nil || !bytes.Equal(again, out) {
			t.Fatalf("output %q is not normalised (%q, %v)", out, again, err)
		}
		if bytes.ContainsAny(out, "\r\n?#\x00 ") || hasDotSegment(out) {
			t.Fatalf("output %q", out)
		}
	})
}

// FuzzValueTemplate: a header value never holds CR, LF or another control
// byte but HTAB; a URL value holds no control byte, space or byte from
// 0x80, whatever the request sends.
func FuzzValueTemplate(f *testing.F) {
	f.Add("X-{header.X-H}-{query.q}", "a\r\nb", "%0d%0a", "al\nice")
	f.Add("{consumer}{jwt.sub}{tls.client_cn}", "", "", "\x00\x7f")
	f.Fuzz(func(t *testing.T, tmpl, hdr, query, consumer string) {
		tp, err := CompileValueTemplate(tmpl, nil)
		if err != nil {
			return
		}
		ctx := &fasthttp.RequestCtx{}
		ctx.Request.Header.SetRequestURI("/x?q=" + query)
		ctx.Request.Header.Set("X-H", hdr)
		v := &Vars{Consumer: consumer, ClientCN: consumer, RequestID: []byte(consumer)}
		h := tp.AppendValue(nil, ctx, v, EscapeHeader)
		for _, c := range h {
			if c < 0x20 && c != '\t' || c == 0x7f {
				t.Fatalf("header value %q holds %#x", h, c)
			}
		}
		if strings.ContainsAny(tmpl, " \t") {
			return // literal whitespace: the config refuses it in a redirect target
		}
		u := tp.AppendValue(nil, ctx, v, EscapeURL)
		for i, c := range u {
			if c <= ' ' || c == 0x7f {
				t.Fatalf("URL value %q holds %#x at %d", u, c, i)
			}
		}
	})
}
