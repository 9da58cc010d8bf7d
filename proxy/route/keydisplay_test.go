package route

import (
	"testing"

	"github.com/valyala/fasthttp"
)

// TestTemplateDisplay: a key reads as its values, without the length
// prefixes that keep keys unambiguous; a key of another template is shown
// as it is.
func TestTemplateDisplay(t *testing.T) {
	for _, c := range []struct{ tpl, uri, client, want string }{
		{"{client_ip}", "/a", "127.0.0.1", "127.0.0.1"},
		{"{client_ip}:{path}", "/a/b", "10.0.0.7", "10.0.0.7:/a/b"},
		{"k|{query.user}|{method}", "/a?user=4:2", "1.2.3.4", "k|4:2|GET"},
		{"{query.user}-{host}", "/a", "1.2.3.4", "--example.com"},
	} {
		tpl, err := CompileTemplate(c.tpl, nil)
		if err != nil {
			t.Fatal(err)
		}
		var ctx fasthttp.RequestCtx
		ctx.Request.SetRequestURI(c.uri)
		ctx.Request.Header.SetHost("Example.com")
		path := []byte(string(ctx.Path()))
		key := tpl.Append(nil, &ctx, &Vars{Path: path, ClientKey: []byte(c.client)})
		if got := tpl.Display(key); got != c.want {
			t.Errorf("%s: key %q displays %q, want %q", c.tpl, key, got, c.want)
		}
	}
	tpl, _ := CompileTemplate("{client_ip}", nil)
	for _, k := range []string{"", "127.0.0.1", "9:127.0.0", "9:127.0.0.1x", "x:1"} {
		if got := tpl.Display([]byte(k)); got != k {
			t.Errorf("foreign key %q displays %q", k, got)
		}
	}
}
