package route

import (
	"fmt"
	"net/netip"
	"regexp"
	"runtime"
	"testing"
)

var benchSizes = []int{1, 10, 100, 1000, 10000}

// benchRules builds n rules of the given flavour and a path that matches
// the last one (the worst case for a linear scan).
func benchRules(kind string, n int) ([]string, []byte) {
	ps := make([]string, n)
	for i := range ps {
		k := kind
		if kind == "mixed" {
			k = []string{"exact", "glob", "param", "suffix"}[i%4]
		}
		switch k {
		case "exact":
			ps[i] = fmt.Sprintf("/svc%d/v1/items", i)
		case "glob":
			ps[i] = fmt.Sprintf("/svc%d/*", i)
		case "param":
			ps[i] = fmt.Sprintf("/svc%d/users/{id}/orders/{order}", i)
		case "suffix":
			ps[i] = fmt.Sprintf("/svc%d/*.json", i)
		}
	}
	last := n - 1
	k := kind
	if kind == "mixed" {
		k = []string{"exact", "glob", "param", "suffix"}[last%4]
	}
	path := map[string]string{
		"exact":  "/svc%d/v1/items",
		"glob":   "/svc%d/a/b/c",
		"param":  "/svc%d/users/42/orders/7",
		"suffix": "/svc%d/a/b.json",
	}[k]
	return ps, []byte(fmt.Sprintf(path, last))
}

func BenchmarkMatch(b *testing.B) {
	for _, kind := range []string{"exact", "glob", "param", "mixed"} {
		for _, n := range benchSizes {
			ps, path := benchRules(kind, n)
			tab, errs := Compile(ps)
			if len(errs) > 0 {
				b.Fatal(errs)
			}
			b.Run(fmt.Sprintf("%s/rules=%d", kind, n), func(b *testing.B) {
				b.ReportAllocs()
				var c Captures
				for b.Loop() {
					if tab.Match(path, &c) != n-1 {
						b.Fatal("wrong rule")
					}
				}
			})
		}
	}
}

// BenchmarkMatchRegexFirst: a regex rule ahead of the trie hit is consulted.
func BenchmarkMatchRegex(b *testing.B) {
	tab, _ := Compile([]string{`^/re/(?P<year>\d{4})/(?P<slug>[a-z-]+)$`, "/api/*"})
	for _, p := range []string{"/re/2024/hello-world", "/api/x"} {
		path := []byte(p)
		b.Run(p, func(b *testing.B) {
			b.ReportAllocs()
			var c Captures
			for b.Loop() {
				tab.Match(path, &c)
			}
		})
	}
}

// BenchmarkNaive is the reference linear scan over regexps, for scale.
func BenchmarkNaive(b *testing.B) {
	for _, n := range []int{10, 100, 1000} {
		ps, path := benchRules("mixed", n)
		res := make([]*regexp.Regexp, n)
		for i, p := range ps {
			toks, _, _ := parsePattern(p)
			res[i] = regexp.MustCompile(tokensRegexp(toks))
		}
		b.Run(fmt.Sprintf("mixed/rules=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				for _, re := range res {
					if re.Match(path) {
						break
					}
				}
			}
		})
	}
}

func BenchmarkNormalizePath(b *testing.B) {
	dst := make([]byte, 0, 256)
	for _, p := range []string{"/api/v1/users/42/orders", "//api/./v1/../v2/%7Euser/%2e%2e/x%2a/"} {
		raw := []byte(p)
		b.Run(fmt.Sprintf("len=%d", len(p)), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(raw)))
			for b.Loop() {
				_, _ = NormalizePath(dst[:0], raw)
			}
		})
	}
}

func BenchmarkClientIP(b *testing.B) {
	tr, _ := ParseTrustedProxies([]string{"127.0.0.1", "10.0.0.0/8"})
	b.Run("untrusted", func(b *testing.B) {
		ctx := newCtx(b, "127.0.0.2:1234", "X-Forwarded-For", "6.6.6.6")
		b.ReportAllocs()
		for b.Loop() {
			tr.ClientIP(ctx)
		}
	})
	b.Run("xff-3-hops", func(b *testing.B) {
		ctx := newCtx(b, "127.0.0.1:1234", "X-Forwarded-For", "6.6.6.6, 2001:db8::1, 10.0.0.1, 10.0.0.2")
		b.ReportAllocs()
		for b.Loop() {
			tr.ClientIP(ctx)
		}
	})
	buf := make([]byte, 0, 64)
	v6 := netip.MustParseAddr("2001:db8:1:2:3::4")
	b.Run("AppendClientKey-v6", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			AppendClientKey(buf[:0], v6)
		}
	})
}

func BenchmarkTemplateAppend(b *testing.B) {
	tab, _ := Compile([]string{"/users/{id}"})
	path := []byte("/users/42")
	var caps Captures
	tab.Match(path, &caps)
	tp, _ := CompileTemplate("rl:{client_ip}:{method}:{path}:{query.page}:{header.X-Key}:{id}", []string{"id"})
	ctx := tmplCtx(b, "GET", "http://example.com/users/42?page=3", "X-Key", "abc")
	v := &Vars{Path: path, ClientKey: []byte("1.2.3.4"), Caps: &caps}
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		tp.Append(buf[:0], ctx, v)
	}
}

// growthRules builds n rules like a real config: every tenth rule a regex,
// the rest cycling through exact, glob, {param} and suffix-glob patterns,
// and one request path per rule that the rule matches (the first match in
// file order is that rule).
func growthRules(n int) ([]string, [][]byte) {
	ps := make([]string, n)
	paths := make([][]byte, n)
	for i := range ps {
		var p, path string
		switch {
		case i%10 == 9:
			p, path = fmt.Sprintf(`^/re%d/(orders|items)/[0-9]+$`, i), fmt.Sprintf("/re%d/items/42", i)
		case i%4 == 0:
			p, path = fmt.Sprintf("/svc%d/v1/items", i), fmt.Sprintf("/svc%d/v1/items", i)
		case i%4 == 1:
			p, path = fmt.Sprintf("/svc%d/*", i), fmt.Sprintf("/svc%d/a/b/c", i)
		case i%4 == 2:
			p, path = fmt.Sprintf("/svc%d/users/{id}/orders/{order}", i), fmt.Sprintf("/svc%d/users/42/orders/7", i)
		default:
			p, path = fmt.Sprintf("/svc%d/*.json", i), fmt.Sprintf("/svc%d/a/b.json", i)
		}
		ps[i], paths[i] = p, []byte(path)
	}
	return ps, paths
}

// cpuLoop runs b.Loop with f on one locked OS thread and reports that
// thread's CPU time per iteration as "cpu-ns/op" next to the wall time, so
// figures taken on a busy machine still compare.
func cpuLoop(b *testing.B, f func()) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	b.ReportAllocs()
	start := threadCPU()
	n := 0
	for b.Loop() {
		f()
		n++
	}
	if used := threadCPU() - start; used > 0 && n > 0 {
		b.ReportMetric(float64(used)/float64(n), "cpu-ns/op")
	}
}

// BenchmarkRouterGrowth: match cost as the table grows 1 → 10,000 rules,
// 10% of them regexes, for traffic spread over every rule ("spread": each
// iteration matches the next rule's path) and for the last rule ("last");
// then the same with a host (and methods) on every rule (benchGrowthHosts).
// Linear growth would be 10,000× from 1 to 10,000 rules.
func BenchmarkRouterGrowth(b *testing.B) {
	for _, n := range benchSizes {
		ps, paths := growthRules(n)
		tab, errs := Compile(ps)
		if len(errs) > 0 {
			b.Fatal(errs)
		}
		b.Run(fmt.Sprintf("spread/rules=%d", n), func(b *testing.B) {
			var c Captures
			i := 0
			cpuLoop(b, func() {
				if tab.Match(paths[i], &c) != i {
					b.Fatalf("%s: wrong rule", paths[i])
				}
				if i++; i == n {
					i = 0
				}
			})
		})
		b.Run(fmt.Sprintf("last/rules=%d", n), func(b *testing.B) {
			var c Captures
			cpuLoop(b, func() {
				if tab.Match(paths[n-1], &c) != n-1 {
					b.Fatal("wrong rule")
				}
			})
		})
		benchGrowthHosts(b, n)
	}
}

// hostRules is growthRules with a host on every rule: rule i serves
// "h<i>.example.com" (every tenth a wildcard "*.h<i>.example.com"), and
// each request carries its rule's host, so the host index, not the path,
// picks the rule among n that share few paths.
func hostRules(n int) ([]Spec, []*Request) {
	ps, paths := growthRules(n)
	specs := make([]Spec, n)
	reqs := make([]*Request, n)
	for i := range specs {
		host, name := fmt.Sprintf("h%d.example.com", i), fmt.Sprintf("H%d.Example.com:8443", i)
		if i%10 == 5 {
			host, name = "*."+host, fmt.Sprintf("eu.h%d.example.com", i)
		}
		// Every rule's path from a small set: most rules share their
		// pattern with many others and only the host tells them apart.
		specs[i] = Spec{Pattern: ps[i%20], Hosts: []string{host}, Methods: []string{"GET", "POST"}}
		reqs[i] = &Request{Path: paths[i%20], Host: []byte(name), Method: []byte("GET")}
	}
	return specs, reqs
}

// benchGrowthHosts is BenchmarkRouterGrowth's question for rules with
// hosts (1 → 10,000 hosts, each request for one of them): the host picks
// its rules by a map lookup, so the cost does not grow with the number of
// hosts. "nohost" is a request for a host no rule names.
func benchGrowthHosts(b *testing.B, n int) {
	{
		specs, reqs := hostRules(n)
		tab, errs := CompileSpecs(specs)
		if len(errs) > 0 {
			b.Fatal(errs)
		}
		b.Run(fmt.Sprintf("hosts/spread/rules=%d", n), func(b *testing.B) {
			var c Captures
			i := 0
			cpuLoop(b, func() {
				if tab.MatchRequest(reqs[i], &c) != i {
					b.Fatalf("%s %s: wrong rule", reqs[i].Host, reqs[i].Path)
				}
				if i++; i == n {
					i = 0
				}
			})
		})
		miss := &Request{Path: reqs[0].Path, Host: []byte("unknown.example.org"), Method: []byte("GET")}
		b.Run(fmt.Sprintf("hosts/nohost/rules=%d", n), func(b *testing.B) {
			var c Captures
			cpuLoop(b, func() {
				if tab.MatchRequest(miss, &c) != -1 {
					b.Fatal("matched")
				}
			})
		})
	}
}
