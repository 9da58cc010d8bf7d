package route

import (
	"bytes"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/premier-gateway/premier/internal/ascii"
	"github.com/valyala/fasthttp"
)

// renderParts rebuilds a template's source from its compiled parts.
func renderParts(tp *Template) string {
	var b strings.Builder
	for _, p := range tp.parts {
		switch p.kind {
		case partLit:
			b.WriteString(p.text)
		case partQuery:
			b.WriteString("{" + placeholderQuery + p.text + "}")
		case partHeader:
			b.WriteString("{" + placeholderHeader + p.text + "}")
		default:
			b.WriteString("{" + p.text + "}")
		}
	}
	return b.String()
}

// refValue is what a placeholder should encode, read from the request
// through other fasthttp calls than Append uses.
func refValue(p part, ctx *fasthttp.RequestCtx, v *Vars) ([]byte, bool) {
	switch p.kind {
	case partClientIP:
		return v.ClientKey, v.ClientKey != nil
	case partPath:
		return v.Path, v.Path != nil
	case partMethod:
		return ctx.Request.Header.Method(), true
	case partHost:
		// ASCII only: bytes.ToLower would rewrite invalid UTF-8.
		h := bytes.Clone(ctx.Request.Host())
		for i, c := range h {
			if 'A' <= c && c <= 'Z' {
				h[i] = c + 'a' - 'A'
			}
		}
		return h, true
	case partQuery:
		for k, val := range ctx.Request.URI().QueryArgs().All() {
			if string(k) == p.text {
				return val, true
			}
		}
		return nil, false
	case partHeader:
		for k, val := range ctx.Request.Header.All() {
			if strings.EqualFold(string(k), p.text) {
				return val, true
			}
		}
		return nil, false
	case partCapture:
		c := v.Caps.Get(p.text, v.Path)
		return c, c != nil
	}
	panic("literal")
}

// decodeKey reads key with tp's parts: every literal as written, every
// value as "-" or "N:" and N bytes, and the whole key consumed. It fails
// the test at the first difference from the reference values.
func decodeKey(t *testing.T, tp *Template, key []byte, ctx *fasthttp.RequestCtx, v *Vars) {
	t.Helper()
	rest := key
	for i, p := range tp.parts {
		if p.kind == partLit {
			if !bytes.HasPrefix(rest, []byte(p.text)) {
				t.Fatalf("template %q key %q: literal %d %q missing at %q", tp, key, i, p.text, rest)
			}
			rest = rest[len(p.text):]
			continue
		}
		want, present := refValue(p, ctx, v)
		if len(rest) > 0 && rest[0] == '-' {
			if present {
				t.Fatalf("template %q key %q: part %d {%s} absent, want %q", tp, key, i, p.text, want)
			}
			rest = rest[1:]
			continue
		}
		colon := bytes.IndexByte(rest, ':')
		n, err := strconv.Atoi(string(rest[:max(colon, 0)]))
		if colon <= 0 || err != nil || n < 0 || n > len(rest)-colon-1 || strconv.Itoa(n) != string(rest[:colon]) {
			t.Fatalf("template %q key %q: part %d {%s}: bad length prefix at %q", tp, key, i, p.text, rest)
		}
		got := rest[colon+1 : colon+1+n]
		if !present || !bytes.Equal(got, want) {
			t.Fatalf("template %q key %q: part %d {%s} = %q, want %q (present %v)", tp, key, i, p.text, got, want, present)
		}
		rest = rest[colon+1+n:]
	}
	if len(rest) != 0 {
		t.Fatalf("template %q key %q: %q left over", tp, key, rest)
	}
}

// FuzzTemplateAppend: a compiled template re-renders to its source, and
// the key it appends for a fuzzed request decodes, part by part, to the
// request's values — so two requests differing in a used value never share
// a key — without touching what dst already held.
func FuzzTemplateAppend(f *testing.F) {
	f.Add("rl:{client_ip}:{path}", "GET", "/u/1/x?a=1", "X-Key", "k", "1.2.3.4", true)
	f.Add("{method} {host}|{query.a}|{query.b}", "PoSt", "http://H.Example:80/p?a=&a=2&b=%20", "Host", "h", "", false)
	f.Add("{header.X-Key}{header.x-key}{header.User-Agent}{header.Content-Type}", "GET", "/", "x-key", "1:2", "-", true)
	f.Add("u={id},n={name}-", "GET", "/u/3:4/-", "A", "b", "1", true)
	f.Add("{id}{name}{client_ip}{path}", "GET", "/nomatch", "A", "b", "", false)
	f.Add("{query.a+b}{query.%41}", "GET", "/?a+b=1&%41=2&a%20b=3", "A", "b", "1", true)
	f.Add("{header.Cookie}{header.Host}", "GET", "/", "Cookie", "a=b; c=d", "1", true)
	tab, errs := Compile([]string{"/u/{id}/{name}", "^/r/(?P<id>[^/]*)(?P<name>/.*)?$"})
	if len(errs) != 0 {
		f.Fatal(errs)
	}
	names := []string{"id", "name"}
	f.Fuzz(func(t *testing.T, tmpl, method, uri, hname, hval, client string, hasClient bool) {
		tp, err := CompileTemplate(tmpl, names)
		if err != nil {
			if !errors.Is(err, ErrBadTemplate) || tp != nil || !strings.Contains(err.Error(), strconv.Quote(tmpl)) {
				t.Fatalf("%q: unclean error %v", tmpl, err)
			}
			return
		}
		if renderParts(tp) != tmpl || tp.String() != tmpl {
			t.Fatalf("%q re-renders as %q", tmpl, renderParts(tp))
		}
		for _, p := range tp.parts {
			if p.kind != partLit && !tp.Uses(strings.TrimSuffix(renderParts(&Template{parts: []part{p}}), "}")[1:]) {
				t.Fatalf("%q: Uses misses part %+v", tmpl, p)
			}
		}

		var req fasthttp.Request
		req.Header.SetMethod(method)
		req.SetRequestURI(uri)
		if ascii.IsToken(hname) && !strings.ContainsAny(hval, "\r\n") {
			req.Header.Set(hname, hval)
		}
		ctx := &fasthttp.RequestCtx{}
		ctx.Init(&req, nil, nil)
		path, err := NormalizePath(nil, ctx.Path())
		if err != nil {
			path = []byte("/")
		}
		var caps Captures
		tab.Match(path, &caps)
		v := &Vars{Path: path, Caps: &caps}
		if hasClient {
			v.ClientKey = []byte(client)
		}

		key := tp.Append([]byte("P|"), ctx, v)
		if !bytes.HasPrefix(key, []byte("P|")) {
			t.Fatalf("%q: dst prefix lost: %q", tmpl, key)
		}
		decodeKey(t, tp, key[2:], ctx, v)
		if again := tp.Append(nil, ctx, v); !bytes.Equal(again, key[2:]) {
			t.Fatalf("%q: not deterministic: %q then %q", tmpl, key[2:], again)
		}
		// nil Vars: the variable parts are absent, the request parts are not.
		decodeKey(t, tp, tp.Append(nil, ctx, nil), ctx, &Vars{Caps: &Captures{}})
	})
}
