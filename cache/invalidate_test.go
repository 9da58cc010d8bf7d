package cache

import (
	"testing"

	"github.com/valyala/fasthttp"
)

func TestSameOriginTarget(t *testing.T) {
	cases := []struct {
		ref, host, path, want string
		ok                    bool
	}{
		{"/a/b?x=1", "h", "/p", "/a/b?x=1", true},
		{"/a#frag", "h", "/p", "/a", true},
		{"b", "h", "/dir/x", "/dir/b", true},
		{"b?q=1", "h", "/x", "/b?q=1", true},
		{"../c", "h", "/d/e/f", "/d/e/../c", true},
		{"http://h/a", "h", "/", "/a", true},
		{"HTTPS://H/a", "h", "/", "/a", true},
		{"http://h", "h", "/", "/", true},
		{"http://h?x", "h", "/", "/?x", true},
		{"http://h:80/a", "h", "/", "/a", true},
		{"http://h/a", "h:80", "/", "/a", true},
		{"http://h:8080/a", "h", "/", "", false},
		{"//h/a", "h", "/", "/a", true},
		{"//other/a", "h", "/", "", false},
		{"http://other/a", "h", "/", "", false},
		{"mailto:x@h", "h", "/", "", false},
		{"", "h", "/", "", false},
	}
	for _, c := range cases {
		got, ok := SameOriginTarget(nil, []byte(c.ref), []byte(c.host), []byte(c.path))
		if ok != c.ok || ok && string(got) != c.want {
			t.Errorf("%q on %q from %q: %q %v, want %q %v", c.ref, c.host, c.path, got, ok, c.want, c.ok)
		}
	}
}

func TestUnsafeMethodAndInvalidates(t *testing.T) {
	var req fasthttp.Request
	for m, unsafe := range map[string]bool{"GET": false, "HEAD": false, "OPTIONS": false, "TRACE": false, "PROPFIND": false,
		"POST": true, "PUT": true, "DELETE": true, "PATCH": true, "PURGE": true} {
		req.Header.SetMethod(m)
		if UnsafeMethod(&req) != unsafe {
			t.Errorf("%s: unsafe %v", m, !unsafe)
		}
	}
	var resp fasthttp.Response
	for s, inv := range map[int]bool{200: true, 201: true, 204: true, 303: true, 304: true, 400: false, 404: false, 500: false, 503: false} {
		resp.SetStatusCode(s)
		if Invalidates(&resp) != inv {
			t.Errorf("%d: invalidates %v", s, !inv)
		}
	}
}
