package route

import (
	"bytes"
	"errors"
	"path"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestNormalizePath(t *testing.T) {
	ok := []struct{ in, want string }{
		{"/", "/"},
		{"/a/b", "/a/b"},
		{"/a/b/", "/a/b/"},
		{"//a///b//", "/a/b/"},
		{"/a/./b", "/a/b"},
		{"/a/../b", "/b"},
		{"/../../a", "/a"},
		{"/..", "/"},
		{"/a/..", "/"},
		{"/a/.", "/a/"},
		{"/a/b/..", "/a/"},
		{"/a/%2e/b", "/a/b"},
		{"/a/%2E%2e/b", "/b"},
		{"/a/.%2E/b", "/b"},
		{"/a/...", "/a/..."},
		{"/a/..b", "/a/..b"},
		{"/%41%7e%5f%2d%30", "/A~_-0"},
		{"/a%20b", "/a%20b"},
		{"/a%2a%3b", "/a%2A%3B"},
		{"/a%3bp=1/..%3Bx/b", "/a%3Bp=1/..%3Bx/b"},
		{"/a%23b", "/a%23b"},
		{"/é", "/é"},
		{"/%C3%A9", "/%C3%A9"},
		{"/\xc3%A9", "/\xc3%A9"},
		{"/a?b", "/a?b"},
		{"/%25", "/%25"},
		{"/%252e%252e/", "/%252e%252e/"},
		{"/a/b/../../../c/./d/", "/c/d/"},
		{"/./", "/"},
		{"/.//a", "/a"},
	}
	for _, tc := range ok {
		got, err := NormalizePath([]byte("keep:"), []byte(tc.in))
		if err != nil || string(got) != "keep:"+tc.want {
			t.Errorf("NormalizePath(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	bad := []string{
		"", "a/b", "%2F", "/a%2Fb", "/a%2fb", "/a%5Cb", "/a%5cb", "/a\\b", "/a%00", "/a\x00",
		"/a\x01", "/a\x7f", "/a\r\nb", "/%zz", "/%4", "/%", "/a%g0", "/\xff", "/\xc0\xaf", "/%C0%AF",
		"/%E0%80%AF", "/%ED%A0%80", "/%F4%90%80%80", "/\xc3", "/\xc3/\xa9", "/%C3", "/%C3/%A9",
		"/a;b", "/a/..;/b", "/;", "/a#b", "/#", "/a/%2e%2e;/b",
	}
	for _, in := range bad {
		got, err := NormalizePath([]byte("keep:"), []byte(in))
		if !errors.Is(err, ErrBadPath) || string(got) != "keep:" {
			t.Errorf("NormalizePath(%q) = %q, %v; want ErrBadPath and dst unchanged", in, got, err)
		}
	}
}

func TestReservedPrefixVariants(t *testing.T) {
	prefix := []byte("/__premier")
	variants := []string{
		"/__premier", "/__premier/", "/__premier/api", "//__premier", "///__premier/x",
		"/./__premier", "/x/../__premier", "/x/y/../../__premier/metrics", "/%5F_premier",
		"/%5f%5fpremier", "/__%70remier", "/%2E/__premier", "/%2e%2E/__premier", "/__premier%2f..",
		"/__premier%2F", "/x/..%2f__premier", "/__premier/./", "/../__premier", "/..%5c__premier",
		"/x/%2e%2e/__premier", "/__premier%00", "/%5F%5F%70%72%65%6D%69%65%72/a",
	}
	for _, v := range variants {
		got, err := NormalizePath(nil, []byte(v))
		if err != nil {
			continue // rejected: fine
		}
		if !HasPrefixSegment(got, prefix) {
			t.Errorf("%q normalised to %q, which escapes the reserved prefix check", v, got)
		}
	}
	for _, s := range []string{"/__premierx", "/__premie", "/x/__premier", "/"} {
		if HasPrefixSegment([]byte(s), prefix) {
			t.Errorf("HasPrefixSegment(%q) = true", s)
		}
	}
	if !HasPrefixSegment([]byte("/a/b"), []byte("/a/")) || !HasPrefixSegment([]byte("/x"), []byte("/")) {
		t.Error("prefix ending in '/'")
	}
}

// checkNormalized checks the invariants of a normaliser output.
func checkNormalized(t *testing.T, in, out []byte) {
	t.Helper()
	if len(out) == 0 || out[0] != '/' {
		t.Fatalf("%q -> %q: no leading slash", in, out)
	}
	for _, bad := range []string{"//", "/./", "/../", "\\", "\x00", ";", "#"} {
		if bytes.Contains(out, []byte(bad)) {
			t.Fatalf("%q -> %q: contains %q", in, out, bad)
		}
	}
	if bytes.HasSuffix(out, []byte("/.")) || bytes.HasSuffix(out, []byte("/..")) {
		t.Fatalf("%q -> %q: ends with a dot segment", in, out)
	}
	again, err := NormalizePath(nil, out)
	if err != nil || !bytes.Equal(again, out) {
		t.Fatalf("not idempotent: %q -> %q -> %q, %v", in, out, again, err)
	}
}

func FuzzNormalizePath(f *testing.F) {
	for _, s := range []string{
		"/", "/a/b/../c", "//a//", "/%2e%2E/", "/a/%2f", "/%41", "/é/%C3%A9", "/a;b/..;/c",
		"/__premier%2f..", "/\xc0\xaf", "/%zz", "/./../.", "/a/b/c/../../..", "/%7e%7E",
		"/%e2%82/%ac", "/a/%2e./b", "/%25%32%66", "/%+1", "/%01/%7f",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		out, err := NormalizePath(nil, raw)
		if want, ok := refNormalize(string(raw)); (err == nil) != ok || ok && string(out) != want {
			t.Fatalf("NormalizePath(%q) = %q, %v; reference %q, %v", raw, out, err, want, ok)
		}
		if err != nil {
			if !errors.Is(err, ErrBadPath) || len(out) != 0 {
				t.Fatalf("%q: bad error result %q, %v", raw, out, err)
			}
			return
		}
		checkNormalized(t, raw, out)
		if len(out) > len(raw)+1 {
			t.Fatalf("%q -> %q: output grew", raw, out)
		}
	})
}

// refNormalize is the reference normaliser, written from NormalizePath's
// documented rules with the standard library: decode and check the
// escapes, validate the decoded bytes as UTF-8, then path.Clean, keeping a
// trailing slash (also the one a trailing dot segment leaves).
func refNormalize(raw string) (string, bool) {
	if !strings.HasPrefix(raw, "/") {
		return "", false
	}
	var enc, dec strings.Builder // escapes normalised; fully decoded
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch {
		case c == '%':
			if i+2 >= len(raw) {
				return "", false
			}
			v, err := strconv.ParseUint(raw[i+1:i+3], 16, 8)
			if err != nil || strings.ContainsAny(raw[i+1:i+3], "+-") || v == '/' || v == '\\' || v == 0 {
				return "", false
			}
			b := byte(v)
			dec.WriteByte(b)
			if 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9' || strings.IndexByte("-._~", b) >= 0 {
				enc.WriteByte(b)
			} else {
				enc.WriteString("%" + strings.ToUpper(raw[i+1:i+3]))
			}
			i += 2
		case c < 0x20 || c == 0x7f || c == '\\' || c == ';' || c == '#':
			return "", false
		default:
			dec.WriteByte(c)
			enc.WriteByte(c)
		}
	}
	if !utf8.ValidString(dec.String()) {
		return "", false
	}
	e := enc.String()
	out := path.Clean(e)
	last := e[strings.LastIndexByte(e, '/')+1:]
	if out != "/" && (strings.HasSuffix(e, "/") || last == "." || last == "..") {
		out += "/"
	}
	return out, true
}

func TestRefNormalize(t *testing.T) {
	for in, want := range map[string]string{
		"/a/b/../c": "/a/c", "//a//": "/a/", "/%2e%2E/": "/", "/a/%2f": "", "/%41": "/A", "/a/.": "/a/",
		"/%7e%7a": "/~z", "/%c3%a9/%e9": "", "/%C3%A9": "/%C3%A9", "/%+1": "", "/a\\b": "", "/%01": "/%01",
		"/a;b": "", "/a#b": "", "/a%3Bb%23": "/a%3Bb%23",
	} {
		got, ok := refNormalize(in)
		if ok != (want != "") || got != want {
			t.Errorf("refNormalize(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}
