package cache

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

// TestFreshnessSources: each source of a lifetime (RFC 9111 §4.2.1), in
// precedence order, the heuristic only with Last-Modified (§4.2.2), an
// invalid or past Expires stale on arrival (§5.3), and expire_s as the
// operator's override.
func TestFreshnessSources(t *testing.T) {
	g := newGateway(t, testConfig())
	g.bare = true
	date := func(d time.Duration) string { return g.clock.Now().Add(d).UTC().Format(http.TimeFormat) }
	cases := []struct {
		name    string
		expireS float64
		hdrs    []string
		want    string // the miss's Cache-Status suffix
	}{
		{"s-maxage over max-age", 0, []string{"Cache-Control", "max-age=100, s-maxage=7"}, "stored; ttl=7"},
		{"max-age over Expires", 0, []string{"Cache-Control", "max-age=9", "Expires", date(time.Hour)}, "stored; ttl=9"},
		{"Expires", 0, []string{"Expires", date(30 * time.Second)}, "stored; ttl=30"},
		{"Expires asctime", 0, []string{"Expires", g.clock.Now().Add(40 * time.Second).UTC().Format(time.ANSIC)}, "stored; ttl=40"},
		{"Expires past", 0, []string{"Expires", date(-time.Minute)}, "detail=expired"},
		{"Expires invalid", 0, []string{"Expires", "0"}, "detail=expired"},
		{"heuristic", 0, []string{"Last-Modified", date(-1000 * time.Second)}, "stored; ttl=100"},
		{"heuristic capped", 0, []string{"Last-Modified", date(-100 * 24 * time.Hour)}, "stored; ttl=86400"},
		{"heuristic future Last-Modified", 0, []string{"Last-Modified", date(time.Hour)}, "detail=no-freshness"},
		{"ETag alone", 0, []string{"ETag", `"v1"`}, "detail=no-freshness"},
		{"nothing", 0, []string{"X-Other", "1"}, "detail=no-freshness"},
		{"expire_s over nothing", 20, []string{"X-Other", "1"}, "stored; ttl=20"},
		{"expire_s over max-age", 20, []string{"Cache-Control", "max-age=5"}, "stored; ttl=20"},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g.t = t
			g.policy = func(*fasthttp.RequestCtx) *Policy { return &Policy{Rule: "r", ExpireS: tc.expireS} }
			g.setBackend(func(ctx *fasthttp.RequestCtx) {
				for i := 0; i+1 < len(tc.hdrs); i += 2 {
					ctx.Response.Header.Set(tc.hdrs[i], tc.hdrs[i+1])
				}
				ctx.SetBodyString("x")
			})
			path := "/f" + string(rune('a'+i))
			if r := g.get(path); !strings.HasSuffix(status(r), tc.want) {
				t.Fatalf("miss Cache-Status %q, want suffix %q", status(r), tc.want)
			}
			g.settle()
			r := g.get(path)
			if stored := strings.Contains(tc.want, "stored"); (xcache(r) == "HIT") != stored {
				t.Fatalf("second request %q, want stored=%v", xcache(r), stored)
			}
		})
	}
}

// TestFreshForAge: the corrected initial age of §4.2.3 from Date, Age and
// the request's round trip, and the lifetime left.
func TestFreshForAge(t *testing.T) {
	const s = int64(time.Second)
	t0 := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	httpDate := func(d time.Duration) []byte { return []byte(t0.Add(d).Format(http.TimeFormat)) }
	cc := func(maxAge int64) *cacheControl {
		var c cacheControl
		c.reset()
		c.maxAge = maxAge
		return &c
	}
	resp := t0.UnixNano()
	cases := []struct {
		name     string
		in       freshInputs
		reqAt    int64
		override int64
		age, ttl int64 // ns
	}{
		{"no Date, no delay", freshInputs{cc: cc(60)}, resp, 0, 0, 60 * s},
		{"Date 20s ago", freshInputs{cc: cc(60), date: httpDate(-20 * time.Second)}, resp, 0, 20 * s, 40 * s},
		{"Date in the future", freshInputs{cc: cc(60), date: httpDate(time.Hour)}, resp, 0, 0, 60 * s},
		{"Age plus a slow origin", freshInputs{cc: cc(60), age: 5}, resp - 2500*int64(time.Millisecond), 0, 7500 * int64(time.Millisecond), 52500 * int64(time.Millisecond)},
		{"Age beats a recent Date", freshInputs{cc: cc(60), age: 30, date: httpDate(-10 * time.Second)}, resp, 0, 30 * s, 30 * s},
		{"expire_s keeps the age", freshInputs{cc: cc(-1), age: 3}, resp, 10 * s, 3 * s, 10 * s},
	}
	for _, tc := range cases {
		f, ok := freshFor(&tc.in, tc.override, tc.reqAt, resp)
		if !ok {
			t.Fatalf("%s: not storable", tc.name)
		}
		if age := f.age0*s + resp - f.storedAt; age != tc.age {
			t.Errorf("%s: age %v, want %v", tc.name, time.Duration(age), time.Duration(tc.age))
		}
		if left := f.storedAt + f.ttl - resp; left != tc.ttl {
			t.Errorf("%s: freshness left %v, want %v", tc.name, time.Duration(left), time.Duration(tc.ttl))
		}
	}
}
