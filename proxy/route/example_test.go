package route_test

import (
	"fmt"
	"net"
	"net/netip"

	"github.com/premier-gateway/premier/proxy/route"
	"github.com/valyala/fasthttp"
)

func ExampleCompile() {
	tab, errs := route.Compile([]string{
		"/health",
		"/api/users/{id}",
		`^/posts/(?P<year>\d{4})/`,
		"/api/*",
		"/api/users/*", // never matches: "/api/*" comes first
	})
	fmt.Println("errors:", len(errs))
	var caps route.Captures
	path := []byte("/api/users/42")
	rule := tab.Match(path, &caps)
	fmt.Println(rule, string(caps.Get("id", path)))
	path = []byte("/posts/2024/hello")
	rule = tab.Match(path, &caps)
	fmt.Println(rule, string(caps.Get("year", path)))
	fmt.Println(tab.Shadowed())
	// Output:
	// errors: 0
	// 1 42
	// 2 2024
	// [{4 3 []}]
}

func ExampleNormalizePath() {
	buf := make([]byte, 0, 128)
	for _, raw := range []string{"//a/./b/../%7Euser/%2e%2e/x%2a/", "/__premier%2F..", "/%5F_premier/api"} {
		out, err := route.NormalizePath(buf[:0], []byte(raw))
		fmt.Printf("%q %v %v\n", out, err, route.HasPrefixSegment(out, []byte("/__premier")))
	}
	// Output:
	// "/a/x%2A/" <nil> false
	// "" route: bad request path false
	// "/__premier/api" <nil> true
}

func ExampleParseTrustedProxies() {
	trusted, errs := route.ParseTrustedProxies([]string{"10.0.0.0/8", "127.0.0.1", "nonsense"})
	fmt.Println(errs)

	var req fasthttp.Request
	req.Header.Set("X-Forwarded-For", "198.51.100.7, 203.0.113.9, 10.1.2.3")
	var ctx fasthttp.RequestCtx
	ctx.Init(&req, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 4000}, nil)
	ip := trusted.ClientIP(&ctx)
	fmt.Println(ip, string(route.AppendClientKey(nil, netip.MustParseAddr("2001:db8:1:2::99"))))
	// Output:
	// [route: bad trusted proxy entry "nonsense": ParseAddr("nonsense"): unable to parse IP]
	// 203.0.113.9 2001:db8:1:2::/64
}

func ExampleCompileTemplate() {
	tmpl, err := route.CompileTemplate("rl:{client_ip}:{id}:{query.page}", []string{"id"})
	if err != nil {
		panic(err)
	}
	tab, _ := route.Compile([]string{"/users/{id}"})
	path := []byte("/users/42")
	var caps route.Captures
	tab.Match(path, &caps)

	var req fasthttp.Request
	req.SetRequestURI("/users/42?page=3")
	var ctx fasthttp.RequestCtx
	ctx.Init(&req, nil, nil)
	key := tmpl.Append(nil, &ctx, &route.Vars{Path: path, ClientKey: []byte("192.0.2.1"), Caps: &caps})
	fmt.Println(string(key), tmpl.Uses("client_ip"))
	_, err = route.CompileTemplate("{user}", nil)
	fmt.Println(err)
	// Output:
	// rl:9:192.0.2.1:2:42:1:3 true
	// route: bad key template "{user}": unknown placeholder {user}
}
