package cache

import (
	"slices"
	"strconv"
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
		// Parameters of one name (as any backend reads it) keep their order.
		{"GET", "http://a.example/x?a=2&a=1", "", "G|a.example|/x?a=2&a=1"},
		{"GET", "http://a.example/x?b=1&a=2&A=1&%61=0&a[]=3", "", "G|a.example|/x?a=2&A=1&%61=0&a[]=3&b=1"},
		{"GET", "http://a.example/x?i.d=2&b&i_d=1&i+d=0", "", "G|a.example|/x?b&i.d=2&i_d=1&i+d=0"},
		{"GET", "http://a.example/x?b=1;a=2&a=1", "", "G|a.example|/x?b=1;a=2&a=1"},
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
		// The reference: class|host|path, then the non-empty parameters
		// sorted by folded name, stable; a query with ';' kept whole.
		ref := func(raw string) string {
			if strings.Contains(raw, ";") {
				return "?" + raw
			}
			var params []string
			for p := range strings.SplitSeq(raw, "&") {
				if p != "" {
					params = append(params, p)
				}
			}
			slices.SortStableFunc(params, func(a, b string) int { return strings.Compare(refFold(a), refFold(b)) })
			if len(params) == 0 {
				return ""
			}
			return "?" + strings.Join(params, "&")
		}
		q := ref(string(req.URI().QueryString()))
		host := string(req.Host()) // "h", or empty when the URI does not parse
		if want := "G|" + host + "|" + string(req.URI().Path()) + q; string(k1) != want {
			t.Fatalf("key %q, want %q", k1, want)
		}
		if got, want := AppendDefaultKey([]byte("x"), req, []byte(path)), "xG|"+host+"|"+path+q; string(got) != want {
			t.Fatalf("with the normalised path: key %q, want %q", got, want)
		}
		// Reordering the parameters changes the key only when it reorders
		// parameters of one folded name.
		rev := strings.Split(string(req.URI().QueryString()), "&")
		names := map[string]bool{}
		distinct := !strings.Contains(string(req.URI().QueryString()), ";")
		for i, j := 0, len(rev)-1; i < j; i, j = i+1, j-1 {
			rev[i], rev[j] = rev[j], rev[i]
		}
		for _, p := range rev {
			if p != "" {
				distinct = distinct && !names[refFold(p)]
				names[refFold(p)] = true
			}
		}
		req.URI().SetQueryString(strings.Join(rev, "&"))
		k2 := AppendDefaultKey(nil, req, nil)
		if want := "G|" + host + "|" + string(req.URI().Path()) + ref(string(req.URI().QueryString())); string(k2) != want {
			t.Fatalf("reversed: key %q, want %q", k2, want)
		}
		if distinct && string(k1) != string(k2) {
			t.Fatalf("%q vs %q", k1, k2)
		}
	})
}

// refFold is the name a backend could read from the raw parameter p, folded
// as compareParamNames does, written independently of it.
func refFold(p string) string {
	name, _, _ := strings.Cut(p, "=")
	var b strings.Builder
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c == '+' {
			c = ' '
		} else if c == '%' && i+2 < len(name) && isHexString(name[i+1:i+3]) {
			v, _ := strconv.ParseUint(name[i+1:i+3], 16, 8)
			c = byte(v)
			i += 2
		}
		if c == '[' {
			break
		}
		if c == ' ' || c == '.' {
			c = '_'
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b.WriteByte(c)
	}
	return b.String()
}

func isHexString(s string) bool {
	return strings.Trim(s, "0123456789abcdefABCDEF") == ""
}

func TestAppendSharedKey(t *testing.T) {
	req := fasthttp.AcquireRequest()
	defer fasthttp.ReleaseRequest(req)
	req.SetRequestURI("http://A.example/x?b=2&a=1")
	if got := string(AppendSharedKey([]byte("k"), req, nil)); got != "kG||/x?a=1&b=2" {
		t.Fatalf("got %q", got)
	}
}
