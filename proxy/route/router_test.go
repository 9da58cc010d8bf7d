package route

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestMatchKinds(t *testing.T) {
	patterns := []string{
		"/health",                   // 0 exact
		"/api/users/{id}",           // 1 param
		"/api/users/{id}/posts/{p}", // 2 params
		"/static/*",                 // 3 glob crossing '/'
		"/files/*.json",             // 4 glob with suffix
		"/v?/items",                 // 5 '?'
		"/img/[a-c]*",               // 6 class
		"/img/[!a-c]x",              // 7 negated class
		`^/re/(?P<year>\d{4})/(?P<slug>[a-z-]+)$`, // 8 regex with captures
		"/file-{name}.{ext}",                      // 9 params inside a segment
		"/t/{a}*{b}",                              // 10 params around a star
		"/*",                                      // 11 catch-all
	}
	tab, errs := Compile(patterns)
	if len(errs) != 0 {
		t.Fatal(errs)
	}
	tests := []struct {
		path string
		want int
		caps map[string]string
	}{
		{"/health", 0, nil},
		{"/health/", 11, nil},
		{"/api/users/42", 1, map[string]string{"id": "42"}},
		{"/api/users/42/posts/7", 2, map[string]string{"id": "42", "p": "7"}},
		{"/api/users/", 11, nil},
		{"/static/a/b/c.css", 3, nil},
		{"/static/", 3, nil},
		{"/files/a/b.json", 4, nil},
		{"/files/a/b.jsonx", 11, nil},
		{"/v1/items", 5, nil},
		{"/v12/items", 11, nil},
		{"/img/apple", 6, nil},
		{"/img/zx", 7, nil},
		{"/img/ax", 6, nil},
		{"/re/2024/hello-world", 8, map[string]string{"year": "2024", "slug": "hello-world"}},
		{"/re/24/x", 11, nil},
		{"/file-report.tar.gz", 9, map[string]string{"name": "report.tar", "ext": "gz"}},
		{"/t/x/y/z", 10, map[string]string{"a": "x", "b": "z"}},
		{"/", 11, nil},
		{"", -1, nil},
		{"nope", -1, nil},
	}
	for _, tc := range tests {
		var c Captures
		got := tab.Match([]byte(tc.path), &c)
		if got != tc.want {
			t.Errorf("Match(%q) = %d, want %d", tc.path, got, tc.want)
			continue
		}
		for k, v := range tc.caps {
			if g := string(c.Get(k, []byte(tc.path))); g != v {
				t.Errorf("Match(%q) capture %s = %q, want %q", tc.path, k, g, v)
			}
		}
		if got >= 0 && c.Len() != len(tab.CaptureNames(got)) {
			t.Errorf("Match(%q): %d captures, want %d", tc.path, c.Len(), len(tab.CaptureNames(got)))
		}
	}
}

func TestFirstMatchWins(t *testing.T) {
	tab, _ := Compile([]string{"^/a", "/a/*", "/a/b", `^/a/b$`})
	for path, want := range map[string]int{"/a/b": 0, "/b": -1, "/ab": 0} {
		if got := tab.Match([]byte(path), nil); got != want {
			t.Errorf("Match(%q) = %d, want %d", path, got, want)
		}
	}
	tab, _ = Compile([]string{"/a/b", "^/a", "/a/*"})
	for path, want := range map[string]int{"/a/b": 0, "/a/c": 1, "/x": -1} {
		if got := tab.Match([]byte(path), nil); got != want {
			t.Errorf("Match(%q) = %d, want %d", path, got, want)
		}
	}
	// Duplicate exact patterns: the first wins.
	tab, _ = Compile([]string{"/x/*", "/y", "/y"})
	if got := tab.Match([]byte("/y"), nil); got != 1 {
		t.Errorf("duplicate exact: got %d", got)
	}
}

func TestCompileErrors(t *testing.T) {
	patterns := []string{
		"/ok",                          // 0
		"^/(unclosed",                  // 1 bad regex
		"/a/[bc",                       // 2 unbalanced [
		"/a/{id",                       // 3 unbalanced {
		"/a/{}",                        // 4 empty name
		"/{x}/{x}",                     // 5 duplicate
		"relative",                     // 6 no leading /
		"/a/}",                         // 7 stray }
		"/[z-a]",                       // 8 bad range
		`^/(?P<x>a)(?P<x>b)`,           // 9 duplicate regex name
		"/{a}{b}{c}{d}{e}{f}{g}{h}{i}", // 10 too many captures
		"",                             // 11 empty
		"/{1x}",                        // 12 bad name
		"/fine/{id}/*",                 // 13
	}
	tab, errs := Compile(patterns)
	var got []int
	for _, e := range errs {
		got = append(got, e.Index)
		if !errors.Is(e, ErrBadPattern) {
			t.Errorf("error %v does not wrap ErrBadPattern", e)
		}
		if !strings.Contains(e.Error(), "pattern ") {
			t.Errorf("error %q", e.Error())
		}
	}
	want := []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("bad indexes = %v, want %v (%v)", got, want, errs)
	}
	if tab.Match([]byte("/ok"), nil) != 0 || tab.Match([]byte("/fine/1/x"), nil) != 13 {
		t.Error("good patterns must still match")
	}
}

func TestShadowed(t *testing.T) {
	patterns := []string{
		"/api/*",          // 0
		"/api/users/*",    // 1 shadowed by 0
		"/api/{id}",       // 2 shadowed by 0
		"/health",         // 3
		"/health",         // 4 shadowed by 3 (identical)
		"/u/{id}",         // 5
		"/u/{name}",       // 6 shadowed by 5 (same shape)
		"/u/42",           // 7 shadowed by 5 (exact matched by earlier)
		"^/re",            // 8
		"/re/x",           // 9 shadowed by 8 (exact matched by regex)
		"/x/*.json",       // 10
		"/x/a.json",       // 11 shadowed by 10
		"/x/a.jsonp",      // 12 not shadowed
		"/y/*/z",          // 13
		"/y/a/*",          // 14 not shadowed (only overlaps)
		"^/re",            // 15 shadowed by 8 (identical regex)
		"^/re/b",          // 16 not reported (regex)
		"/*",              // 17
		"/anything/{x}/*", // 18 shadowed by 17
		"/bad/[",          // 19 invalid: not reported
	}
	tab, _ := Compile(patterns)
	got := tab.Shadowed()
	want := []Shadow{{Rule: 1, By: 0}, {Rule: 2, By: 0}, {Rule: 4, By: 3}, {Rule: 6, By: 5}, {Rule: 7, By: 5}, {Rule: 9, By: 8}, {Rule: 11, By: 10}, {Rule: 15, By: 8}, {Rule: 18, By: 17}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Shadowed = %v\nwant       %v", got, want)
	}
}

func TestCapturesAbsentGroup(t *testing.T) {
	tab, _ := Compile([]string{`^/(?P<a>x)?(?P<b>y)`})
	var c Captures
	path := []byte("/y")
	if tab.Match(path, &c) != 0 {
		t.Fatal("no match")
	}
	if c.Get("a", path) != nil || string(c.Get("b", path)) != "y" || c.Get("zz", path) != nil {
		t.Fatalf("captures: a=%q b=%q", c.Get("a", path), c.Get("b", path))
	}
	if c.Name(0) != "a" || c.Name(1) != "b" {
		t.Fatal("names")
	}
}

func TestLongPathFallback(t *testing.T) {
	tab, _ := Compile([]string{`^/(?P<rest>.*)$`})
	path := []byte("/" + strings.Repeat("a", 200000))
	var c Captures
	if tab.Match(path, &c) != 0 || len(c.Get("rest", path)) != 200000 {
		t.Fatal("long path capture")
	}
}
