package route

import (
	"bufio"
	"errors"
	"net"
	"net/netip"
	"strings"
	"testing"

	"github.com/valyala/fasthttp"
)

func newCtx(t testing.TB, peer string, headers ...string) *fasthttp.RequestCtx {
	t.Helper()
	var req fasthttp.Request
	req.SetRequestURI("http://example.com/x")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Add(headers[i], headers[i+1])
	}
	ap := netip.MustParseAddrPort(peer)
	ctx := &fasthttp.RequestCtx{}
	ctx.Init(&req, net.TCPAddrFromAddrPort(ap), nil)
	return ctx
}

func TestParseTrustedProxies(t *testing.T) {
	tr, errs := ParseTrustedProxies([]string{"10.0.0.0/8", "127.0.0.1", " ::1 ", "2001:db8::/32", "bogus", "1.2.3.4/33", "fe80::1%eth0", "::ffff:192.168.0.0/112"})
	if len(errs) != 3 {
		t.Fatalf("errs = %v", errs)
	}
	for i, name := range []string{"bogus", "1.2.3.4/33", "fe80::1%eth0"} {
		if !errors.Is(errs[i], ErrBadProxy) || !strings.Contains(errs[i].Error(), name) {
			t.Errorf("error %v should name %q", errs[i], name)
		}
	}
	for s, want := range map[string]bool{
		"10.1.2.3": true, "127.0.0.1": true, "127.0.0.2": false, "::1": true, "2001:db8:5::1": true,
		"2001:db9::1": false, "::ffff:10.0.0.1": true, "192.168.3.4": true, "192.169.0.1": false,
	} {
		if got := tr.Contains(netip.MustParseAddr(s)); got != want {
			t.Errorf("Contains(%s) = %v", s, got)
		}
	}
	var nilT *Trusted
	if nilT.Contains(netip.MustParseAddr("127.0.0.1")) {
		t.Error("nil Trusted trusts")
	}
}

func TestClientIP(t *testing.T) {
	tr, _ := ParseTrustedProxies([]string{"127.0.0.1", "10.0.0.0/8"})
	fwd, _ := ParseTrustedProxies([]string{"127.0.0.1", "10.0.0.0/8"})
	fwd.Header = Forwarded
	tests := []struct {
		name    string
		tr      *Trusted
		peer    string
		headers []string
		want    string
	}{
		{"untrusted peer ignores XFF", tr, "127.0.0.2:5000", []string{"X-Forwarded-For", "1.1.1.1"}, "127.0.0.2"},
		{"nil trusts nobody", nil, "127.0.0.1:5000", []string{"X-Forwarded-For", "1.1.1.1"}, "127.0.0.1"},
		{"trusted peer, one hop", tr, "127.0.0.1:5000", []string{"X-Forwarded-For", "1.1.1.1"}, "1.1.1.1"},
		{"trusted peer, no header", tr, "127.0.0.1:5000", nil, "127.0.0.1"},
		{"spoofed left entries ignored", tr, "127.0.0.1:5000", []string{"X-Forwarded-For", "6.6.6.6, 2.2.2.2, 10.0.0.5"}, "2.2.2.2"},
		{"all occurrences, last is right-most", tr, "127.0.0.1:5000", []string{"X-Forwarded-For", "6.6.6.6", "X-Forwarded-For", "3.3.3.3, 10.1.1.1"}, "3.3.3.3"},
		{"walk across lines", tr, "127.0.0.1:5000", []string{"X-Forwarded-For", "4.4.4.4", "X-Forwarded-For", "10.1.1.1"}, "4.4.4.4"},
		{"garbage stops at last good", tr, "127.0.0.1:5000", []string{"X-Forwarded-For", "5.5.5.5, garbage, 10.0.0.9"}, "10.0.0.9"},
		{"garbage right away", tr, "127.0.0.1:5000", []string{"X-Forwarded-For", "5.5.5.5, nope"}, "127.0.0.1"},
		{"empty item is garbage", tr, "127.0.0.1:5000", []string{"X-Forwarded-For", "5.5.5.5,,10.0.0.1"}, "10.0.0.1"},
		{"all trusted: left-most", tr, "127.0.0.1:5000", []string{"X-Forwarded-For", "10.0.0.1, 10.0.0.2"}, "10.0.0.1"},
		{"ports and ipv6", tr, "127.0.0.1:5000", []string{"X-Forwarded-For", "[2001:db8::1]:443, 10.0.0.1:80"}, "2001:db8::1"},
		{"bare ipv6", tr, "127.0.0.1:5000", []string{"X-Forwarded-For", " 2001:db8::2 "}, "2001:db8::2"},
		{"mapped v4", tr, "127.0.0.1:5000", []string{"X-Forwarded-For", "::ffff:1.2.3.4"}, "1.2.3.4"},
		{"forwarded ignored in XFF mode", tr, "127.0.0.1:5000", []string{"Forwarded", "for=9.9.9.9"}, "127.0.0.1"},
		{"forwarded", fwd, "127.0.0.1:5000", []string{"Forwarded", `for=6.6.6.6, for="[2001:db8:cafe::17]:4711";proto=https, for=10.0.0.3;by=10.0.0.4`}, "2001:db8:cafe::17"},
		{"forwarded quoted v4", fwd, "127.0.0.1:5000", []string{"Forwarded", `proto=http;For="192.0.2.60"`}, "192.0.2.60"},
		{"forwarded unknown stops", fwd, "127.0.0.1:5000", []string{"Forwarded", `for=1.1.1.1, for=unknown, for=10.0.0.2`}, "10.0.0.2"},
		{"forwarded obfuscated stops", fwd, "127.0.0.1:5000", []string{"Forwarded", `for=_hidden`}, "127.0.0.1"},
		{"forwarded without for stops", fwd, "127.0.0.1:5000", []string{"Forwarded", `for=8.8.8.8, proto=https`}, "127.0.0.1"},
		{"XFF ignored in Forwarded mode", fwd, "127.0.0.1:5000", []string{"X-Forwarded-For", "9.9.9.9"}, "127.0.0.1"},
		{"ipv6 peer", tr, "[::1]:5000", []string{"X-Forwarded-For", "9.9.9.9"}, "::1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := newCtx(t, tc.peer, tc.headers...)
			if got := tc.tr.ClientIP(ctx); got.String() != tc.want {
				t.Fatalf("ClientIP = %v, want %v", got, tc.want)
			}
			peer := netip.MustParseAddrPort(tc.peer).Addr()
			if got := tc.tr.ClientIPOf(peer, ctx.Request.Header.PeekAll); got.String() != tc.want {
				t.Fatalf("ClientIPOf = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestClientIPRealConnections serves real TCP connections from 127.0.0.1
// (trusted proxy) and 127.0.0.2 (untrusted client).
func TestClientIPRealConnections(t *testing.T) {
	tr, _ := ParseTrustedProxies([]string{"127.0.0.1/32"})
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &fasthttp.Server{Handler: func(ctx *fasthttp.RequestCtx) {
		ip := tr.ClientIP(ctx)
		ctx.SetBody(AppendClientKey(nil, ip))
	}}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	defer func() {
		if err := srv.Shutdown(); err != nil {
			t.Error(err)
		}
		<-done
	}()
	ask := func(from string) string {
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}}
		c, err := d.Dial("tcp4", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_, _ = c.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 6.6.6.6, 203.0.113.7\r\nConnection: close\r\n\r\n"))
		var resp fasthttp.Response
		if err := resp.Read(bufio.NewReader(c)); err != nil {
			t.Fatal(err)
		}
		return string(resp.Body())
	}
	if got := ask("127.0.0.1"); got != "203.0.113.7" {
		t.Errorf("via trusted proxy: %q", got)
	}
	if got := ask("127.0.0.2"); got != "127.0.0.2" {
		t.Errorf("untrusted peer: %q", got)
	}
}

func TestAppendClientKey(t *testing.T) {
	for in, want := range map[string]string{
		"1.2.3.4":              "1.2.3.4",
		"::ffff:1.2.3.4":       "1.2.3.4",
		"2001:db8:1:2:3:4:5:6": "2001:db8:1:2::/64",
		"2001:db8:1:2::9":      "2001:db8:1:2::/64",
		"::1":                  "::/64",
		"fe80::1%eth0":         "fe80::/64",
	} {
		if got := string(AppendClientKey([]byte("k="), netip.MustParseAddr(in))); got != "k="+want {
			t.Errorf("AppendClientKey(%s) = %q, want %q", in, got, "k="+want)
		}
	}
	if got := AppendClientKey(nil, netip.Addr{}); len(got) != 0 {
		t.Errorf("invalid addr appended %q", got)
	}
}

func FuzzParseIP(f *testing.F) {
	for _, s := range []string{"1.2.3.4", "::", "::1", "1::", "1:2:3:4:5:6:7:8", "::ffff:1.2.3.4", "1:2:3:4:5:6:7::",
		"::1:2:3:4:5:6:7:8", "01.2.3.4", "1.2.3", "1.2.3.4.5", "256.1.1.1", "fe80::1%eth0", ":::", "1:::2", "12345::", "::1.2.3.4", "1:2:3:4:5:6:1.2.3.4"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := parseIP([]byte(s))
		want, err := netip.ParseAddr(s)
		if err == nil && want.Zone() != "" {
			err = errors.New("zone")
		}
		if ok != (err == nil) || ok && got != want {
			t.Fatalf("parseIP(%q) = %v, %v; netip = %v, %v", s, got, ok, want, err)
		}
	})
}
