package route

import (
	"errors"
	"strings"
	"testing"

	"github.com/valyala/fasthttp"
)

func tmplCtx(t testing.TB, method, uri string, headers ...string) *fasthttp.RequestCtx {
	t.Helper()
	var req fasthttp.Request
	req.Header.SetMethod(method)
	req.SetRequestURI(uri)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Add(headers[i], headers[i+1])
	}
	ctx := &fasthttp.RequestCtx{}
	ctx.Init(&req, nil, nil)
	return ctx
}

func TestTemplateAppend(t *testing.T) {
	tab, _ := Compile([]string{"/users/{id}/{tab}"})
	path := []byte("/users/42/posts")
	var caps Captures
	if tab.Match(path, &caps) != 0 {
		t.Fatal("no match")
	}
	v := &Vars{Path: path, ClientKey: []byte("1.2.3.4"), Caps: &caps, Consumer: "mobile"}
	ctx := tmplCtx(t, "GET", "http://Api.Example.COM/users/42/posts?page=2&empty=&sort=a:b", "X-Key", "k1")
	tests := []struct{ tmpl, want string }{
		{"{client_ip}", "7:1.2.3.4"},
		{"rl:{client_ip}:{path}", "rl:7:1.2.3.4:15:/users/42/posts"},
		{"{method} {host}", "3:GET 15:api.example.com"},
		{"{query.page}|{query.sort}|{query.empty}|{query.none}", "1:2|3:a:b|0:|-"},
		{"{header.X-Key}/{header.x-key}/{header.Missing}", "2:k1/2:k1/-"},
		{"u={id},t={tab}", "u=2:42,t=5:posts"},
		{"rl:{consumer}", "rl:6:mobile"},
		{"plain", "plain"},
		{"", ""},
	}
	for _, tc := range tests {
		tp, err := CompileTemplate(tc.tmpl, tab.CaptureNames(0))
		if err != nil {
			t.Fatalf("%q: %v", tc.tmpl, err)
		}
		if got := string(tp.Append([]byte("P|"), ctx, v)); got != "P|"+tc.want {
			t.Errorf("%q: got %q, want %q", tc.tmpl, got, "P|"+tc.want)
		}
		if tp.String() != tc.tmpl {
			t.Errorf("String() = %q", tp.String())
		}
	}
	// nil Vars: variable parts are absent.
	tp, _ := CompileTemplate("{client_ip}{path}{id}{consumer}", []string{"id"})
	if got := string(tp.Append(nil, ctx, nil)); got != "----" {
		t.Errorf("nil vars: %q", got)
	}
}

// TestTemplateNoCollisions: values that would collide with naive
// concatenation produce different keys.
func TestTemplateNoCollisions(t *testing.T) {
	tp, err := CompileTemplate("{query.a}:{query.b}", nil)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]string{}
	for _, q := range []string{"a=x:y&b=z", "a=x&b=y:z", "a=x:&b=", "a=x&b=:", "b=x", "a=x", "a=&b=x", "a=x&b="} {
		k := string(tp.Append(nil, tmplCtx(t, "GET", "http://h/?"+q), nil))
		if prev, dup := seen[k]; dup {
			t.Fatalf("queries %q and %q share key %q", prev, q, k)
		}
		seen[k] = q
	}
}

func TestTemplateErrors(t *testing.T) {
	for tmpl, name := range map[string]string{
		"{nope}":          "{nope}",
		"{client_ip":      "unbalanced '{'",
		"x}":              "unbalanced '}'",
		"{}":              "{}",
		"{query.}":        "{query.}",
		"{header.}":       "{header.}",
		"{header.a b}":    "{header.a b}",
		"{a{b}}":          "unbalanced '{'",
		"{path}{missing}": "{missing}",
	} {
		_, err := CompileTemplate(tmpl, []string{"id"})
		if !errors.Is(err, ErrBadTemplate) || !strings.Contains(err.Error(), name) {
			t.Errorf("CompileTemplate(%q) = %v, want error naming %s", tmpl, err, name)
		}
	}
}

func TestTemplateUses(t *testing.T) {
	tp, _ := CompileTemplate("x{client_ip}{query.page}{header.X-A}{id}", []string{"id"})
	for name, want := range map[string]bool{
		"client_ip": true, "query.page": true, "query": true, "header": true, "header.X-A": true,
		"id": true, "path": false, "query.pag": false, "x": false, "method": false,
	} {
		if got := tp.Uses(name); got != want {
			t.Errorf("Uses(%q) = %v", name, got)
		}
	}
}

func FuzzCompileTemplate(f *testing.F) {
	for _, s := range []string{"{client_ip}", "rl:{path}:{method}", "{query.a}{header.X}", "{", "}", "{}", "{{}}", "{id}x{name}", "{query.}", "a{b"} {
		f.Add(s)
	}
	ctx := tmplCtx(f, "GET", "http://h/p?a=1", "X", "y")
	f.Fuzz(func(t *testing.T, s string) {
		tp, err := CompileTemplate(s, []string{"id", "name"})
		if err != nil {
			if !errors.Is(err, ErrBadTemplate) || tp != nil {
				t.Fatalf("%q: unclean error %v", s, err)
			}
			return
		}
		if strings.Count(s, "{") != strings.Count(s, "}") {
			t.Fatalf("%q compiled with unbalanced braces", s)
		}
		if renderParts(tp) != s {
			t.Fatalf("%q re-renders as %q", s, renderParts(tp))
		}
		caps := Captures{}
		caps.reset([]string{"id", "name"})
		_ = tp.Append(nil, ctx, &Vars{Path: []byte("/p"), ClientKey: []byte("1.2.3.4"), Caps: &caps})
		_ = tp.Uses("client_ip")
	})
}

type testClaims map[string]string

func (c testClaims) Claim(name string) ([]byte, bool) {
	v, ok := c[name]
	return []byte(v), ok
}

// TestTemplateClaim: {jwt.CLAIM} appends the token's claim, "-" when the
// token lacks it or there is no token.
func TestTemplateClaim(t *testing.T) {
	tm, err := CompileTemplate("{jwt.tenant}|{jwt.sub}", nil)
	if err != nil {
		t.Fatal(err)
	}
	var ctx fasthttp.RequestCtx
	if got := string(tm.Append(nil, &ctx, &Vars{Claims: testClaims{"tenant": "acme"}})); got != "4:acme|-" {
		t.Fatalf("got %q", got)
	}
	if got := string(tm.Append(nil, &ctx, &Vars{})); got != "-|-" {
		t.Fatalf("no claims: %q", got)
	}
	if _, err := CompileTemplate("{jwt.}", nil); err == nil {
		t.Fatal("{jwt.} accepted")
	}
	if !tm.Uses("jwt.tenant") {
		t.Fatal("Uses(jwt.tenant)")
	}
}
