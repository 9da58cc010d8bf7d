package proxy

import (
	"fmt"
	"os"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/premier-gateway/premier/proxy/route"
)

// rulesMixYAML is bench/configs/rules50.yaml (50 rules, 10 regexes, the
// traffic falling through to the last) for the in-memory backend; with
// hosts, every other rule but the last names two hosts (one a wildcard) and every third
// also methods, so the request for example.com consults the host index
// and the criteria on the way.
func rulesMixYAML(tb testing.TB, hosts bool) string {
	b, err := os.ReadFile("../bench/configs/rules50.yaml")
	if err != nil {
		tb.Fatal(err)
	}
	src := regexp.MustCompile(`(?m)^  listen: .*\n`).ReplaceAllString(string(b), "")
	src = strings.Replace(src, "http://127.0.0.1:9001", "http://backend.internal:80", 1)
	if !hosts {
		return src
	}
	i := 0
	return regexp.MustCompile(`(?m)^    - pattern: (.*)$`).ReplaceAllStringFunc(src, func(line string) string {
		i++
		extra := ""
		if i%2 == 1 { // not the last rule (50), the catch-all the traffic reaches
			extra += fmt.Sprintf("\n      hosts: [\"svc%d.example.com\", \"*.svc%d.example.com\"]", i, i)
		}
		if i%3 == 0 {
			extra += "\n      methods: [GET, POST]"
		}
		return line + extra
	})
}

// withRewrite gives the mix's last rule (the one the traffic reaches) a
// rewrite and request and response header rules, so the request takes the
// transform path too.
func withRewrite(src string) string {
	const last = "    - pattern: \"/*\"\n      features:\n"
	i := strings.LastIndex(src, last)
	return src[:i] + last + `        rewrite: {add_prefix: "/v1"}
        request_headers: {set: {X-Env: prod}, add: {X-Trace: "{request_id}"}, remove: [X-Debug]}
        response_headers: {set: {X-Frame-Options: DENY}}
` + src[i+len(last):]
}

// oneRuleYAML is the mix's last rule alone, the one-rule baseline.
const oneRuleYAML = `premier:
  servers: ["http://backend.internal:80"]
  paths:
    - pattern: "/*"
      features:
        timeout:
          seconds: 10.0
`

// BenchmarkRulesMix is the 50-rule mix against one rule through the whole
// proxied path (in-memory backend), with and without hosts, and with hosts
// plus a rewrite and header rules on the rule the traffic reaches against
// one rule with the same transforms (one-rule-rewrite: the baseline that
// does the same work per request but for the 49 rules before it). It runs
// in rounds (round=1..5, each running every case in turn) so the A/B pairs
// come from one interleaved run on a shared machine; cpu-ns/op is the
// process's CPU time per request, steadier than ns/op when other work
// shares the CPU.
func BenchmarkRulesMix(b *testing.B) {
	cases := []struct {
		name string
		g    *inmemGateway
	}{
		{"one-rule", newInmemGatewayConfig(b, oneRuleYAML)},
		{"rules50", newInmemGatewayConfig(b, rulesMixYAML(b, false))},
		{"rules50-hosts", newInmemGatewayConfig(b, rulesMixYAML(b, true))},
		{"one-rule-rewrite", newInmemGatewayConfig(b, withRewrite(oneRuleYAML))},
		{"rules50-hosts-rewrite", newInmemGatewayConfig(b, withRewrite(rulesMixYAML(b, true)))},
	}
	for round := 1; round <= 5; round++ {
		for _, c := range cases {
			b.Run(fmt.Sprintf("round=%d/%s", round, c.name), func(b *testing.B) {
				c.g.do(b, "/small")
				b.ReportAllocs()
				start := processCPU()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					c.g.do(b, "/small")
				}
				b.StopTimer()
				if used := processCPU() - start; used > 0 {
					// The process's CPU time (the backend's goroutine too):
					// time taken by other work on a shared CPU is not in it.
					b.ReportMetric(float64(used)/float64(b.N), "cpu-ns/op")
				}
			})
		}
	}
}

// TestRulesMixHostsConfig: the benchmark's config with hosts loads, has
// the hosts it claims, and routes its traffic to the last rule.
func TestRulesMixHostsConfig(t *testing.T) {
	src := rulesMixYAML(t, true)
	if n := strings.Count(src, "hosts:"); n != 25 {
		t.Fatalf("%d rules with hosts, want 25", n)
	}
	g := newInmemGatewayConfig(t, src)
	g.do(t, "/small")
	if got := g.gw.cur.Load().match.MatchRequest(matchRequest(new(route.Request), &g.ctx.Request, []byte("/small")), nil); got != 49 {
		t.Fatalf("rule %d, want the last (49)", got)
	}
	if p := newInmemGatewayConfig(t, withRewrite(src)).gw.cur.Load().rules[49]; p.transform == nil {
		t.Fatal("the last rule has no rewrite")
	}
	if p := newInmemGatewayConfig(t, withRewrite(oneRuleYAML)).gw.cur.Load().rules[0]; p.transform == nil {
		t.Fatal("the one-rule baseline has no rewrite")
	}
}

// BenchmarkRulesMixRoute is BenchmarkRulesMix's route step alone (head
// checks, normalisation, reserved prefix, match), where the rules and
// their criteria cost anything: the difference between the three is the
// whole cost of 50 rules with hosts, without the backend's noise.
func BenchmarkRulesMixRoute(b *testing.B) {
	cases := []struct {
		name string
		g    *inmemGateway
	}{
		{"one-rule", newInmemGatewayConfig(b, oneRuleYAML)},
		{"rules50", newInmemGatewayConfig(b, rulesMixYAML(b, false))},
		{"rules50-hosts", newInmemGatewayConfig(b, rulesMixYAML(b, true))},
	}
	for round := 1; round <= 5; round++ {
		for _, c := range cases {
			b.Run(fmt.Sprintf("round=%d/%s", round, c.name), func(b *testing.B) {
				ctx := &c.g.ctx
				ctx.Request.Reset()
				ctx.Request.SetRequestURI("/small")
				ctx.Request.Header.SetHost("example.com")
				t := c.g.gw.cur.Load()
				s := scratchPool.Get().(*scratch)
				defer scratchPool.Put(s)
				runtime.LockOSThread()
				defer runtime.UnlockOSThread()
				b.ReportAllocs()
				start, n := threadCPU(), 0
				for b.Loop() {
					if p, _ := c.g.gw.route(ctx, t, s); p == nil || p.index != t.match.Len()-1 {
						b.Fatal("wrong rule")
					}
					n++
				}
				if used := threadCPU() - start; used > 0 {
					b.ReportMetric(float64(used)/float64(n), "cpu-ns/op") // the thread's own CPU time: comparable on a busy machine
				}
			})
		}
	}
}
