package cache

import (
	"slices"
	"strings"
	"testing"

	"github.com/valyala/fasthttp"
)

func TestAppendDefaultKey(t *testing.T) {
	cases := []struct{ method, uri, path, want string }{
		{"GET", "http://a.example/x", "", "G|a.example|/x"},
		{"HEAD", "http://a.example/x", "", "G|a.example|/x"},
		{"POST", "http://a.example/x", "", "POST|a.example|/x"},
		{"GET", "http://A.Example/X", "", "G|a.example|/X"},
		{"GET", "http://a.example/x?b=2&a=1&&c", "", "G|a.example|/x?a=1&b=2&c"},
		{"GET", "http://a.example/x?", "", "G|a.example|/x"},
		{"GET", "http://a.example/x?a=2&a=1", "", "G|a.example|/x?a=1&a=2"},
		{"GET", "http://a.example/raw%2Fpath", "/normalised", "G|a.example|/normalised"},
	}
	for _, tc := range cases {
		req := fasthttp.AcquireRequest()
		req.Header.SetMethod(tc.method)
		req.SetRequestURI(tc.uri)
		var path []byte
		if tc.path != "" {
			path = []byte(tc.path)
		}
		if got := string(AppendDefaultKey(nil, req, path)); got != tc.want {
			t.Errorf("%s %s: %q, want %q", tc.method, tc.uri, got, tc.want)
		}
		fasthttp.ReleaseRequest(req)
	}
}

func TestAppendDefaultKeyManyParams(t *testing.T) {
	var q, want []string
	for i := 99; i >= 0; i-- {
		q = append(q, "p"+string(rune('a'+i%26))+string(rune('a'+i/26))+"=1")
	}
	want = append(want, q...)
	sortStrings(want)
	req := fasthttp.AcquireRequest()
	defer fasthttp.ReleaseRequest(req)
	req.SetRequestURI("http://h/x?" + strings.Join(q, "&"))
	if got := string(AppendDefaultKey(nil, req, nil)); got != "G|h|/x?"+strings.Join(want, "&") {
		t.Fatalf("got %q", got)
	}
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

func FuzzAppendDefaultKey(f *testing.F) {
	f.Add("/x", "b=2&a=1")
	f.Add("/", "&&&")
	f.Add("/many", strings.Repeat("z=1&y=2&", 20)+"a")
	f.Add("/%41b", "b=%41&a=+")
	f.Fuzz(func(t *testing.T, path, query string) {
		req := fasthttp.AcquireRequest()
		defer fasthttp.ReleaseRequest(req)
		req.SetRequestURI("http://h" + "/" + strings.TrimLeft(path, "/") + "?" + query)
		k1 := AppendDefaultKey(nil, req, nil)
		// The reference: class|host|path, then the non-empty parameters sorted.
		var params []string
		for p := range strings.SplitSeq(string(req.URI().QueryString()), "&") {
			if p != "" {
				params = append(params, p)
			}
		}
		slices.Sort(params)
		q := ""
		if len(params) > 0 {
			q = "?" + strings.Join(params, "&")
		}
		host := string(req.Host()) // "h", or empty when the URI does not parse
		if want := "G|" + host + "|" + string(req.URI().Path()) + q; string(k1) != want {
			t.Fatalf("key %q, want %q", k1, want)
		}
		if got, want := AppendDefaultKey([]byte("x"), req, []byte(path)), "xG|"+host+"|"+path+q; string(got) != want {
			t.Fatalf("with the normalised path: key %q, want %q", got, want)
		}
		// Reordering the parameters never changes the key.
		rev := strings.Split(string(req.URI().QueryString()), "&")
		for i, j := 0, len(rev)-1; i < j; i, j = i+1, j-1 {
			rev[i], rev[j] = rev[j], rev[i]
		}
		req.URI().SetQueryString(strings.Join(rev, "&"))
		if k2 := AppendDefaultKey(nil, req, nil); string(k1) != string(k2) {
			t.Fatalf("%q vs %q", k1, k2)
		}
	})
}

func TestAppendSharedKey(t *testing.T) {
	req := fasthttp.AcquireRequest()
	defer fasthttp.ReleaseRequest(req)
	req.SetRequestURI("http://A.example/x?b=2&a=1")
	if got := string(AppendSharedKey([]byte("k"), req, nil)); got != "kG||/x?a=1&b=2" {
		t.Fatalf("got %q", got)
	}
}
