package config

import (
	"errors"
	"fmt"
	"strings"

	"github.com/premier-gateway/premier/lb"
	"github.com/premier-gateway/premier/proxy/auth"
	"github.com/premier-gateway/premier/proxy/route"
)

// check runs the checks that need more than one field: patterns, key
// templates, trusted proxies, servers. Errors go to d; warnings to l. When
// decoding already failed (clean is false), only the checks whose inputs
// stand on their own run, so no error is a consequence of another.
func (l *Loaded) check(d *decoder, clean bool) {
	c := l.Config
	at := func(owner any, key string) pos { return d.keys[owner][key] }

	specs := make([]route.Spec, len(c.Paths))
	for i := range c.Paths {
		p := &c.Paths[i]
		specs[i] = p.Spec()
		if p.Pattern == "" {
			d.errAt(at(p, "pattern"), "pattern: required")
		} else if c.Dashboard.Prefix != "" && underReserved(p.Pattern, c.Dashboard.Prefix) {
			d.errAt(at(p, "pattern"), "pattern %q: %s is reserved for the dashboard and never routed, so this rule could never apply", p.Pattern, c.Dashboard.Prefix)
		}
	}
	table, perrs := route.CompileSpecs(specs)
	bad := make(map[int]bool, len(perrs))
	for _, pe := range perrs {
		bad[pe.Index] = true
		if c.Paths[pe.Index].Pattern == "" {
			continue
		}
		var ce *route.CriterionError
		if errors.As(pe.Err, &ce) {
			d.errAt(at(&c.Paths[pe.Index], ce.Field), "%v", ce)
			continue
		}
		d.errAt(at(&c.Paths[pe.Index], "pattern"), "pattern %q: %v", c.Paths[pe.Index].Pattern, pe.Err)
	}
	l.rules.table = table
	for i := range c.Paths {
		p := &c.Paths[i]
		switch {
		case !p.Strict || bad[i]:
		case !table.Exact(i):
			d.errAt(at(p, "strict"), "strict: only applies to an exact pattern (a literal path), and %q is not one", p.Pattern)
		case !p.Features.Any():
			l.warnf(at(p, "strict"), "strict: has no effect on %q: an exact rule without features matches only its own path", p.Pattern)
		}
	}

	trusted, terrs := route.ParseTrustedProxies(c.TrustedProxies)
	for _, err := range terrs {
		d.errAt(at(c, "trusted_proxies"), "trusted_proxies: %v", err)
	}
	l.rules.trusted = trusted

	n := len(c.Paths)
	l.rules.limitKeys = make([]*route.Template, n+1)
	l.rules.cacheKeys = make([]*route.Template, n+1)
	l.rules.auths = make([]*auth.Auth, n+1)
	l.rules.transforms = make([]*Transform, n+1)
	for i := 0; i <= n; i++ {
		f, caps := c.DefaultFeatures, []string(nil)
		if i < n {
			f = &c.Paths[i].Features
			if table != nil && len(perrs) == 0 {
				caps = table.CaptureNames(i)
			}
		}
		if f == nil {
			continue
		}
		if rl := f.RateLimit; rl != nil && rl.Key != "global" {
			t, err := route.CompileTemplate(rl.Key, caps)
			if err != nil {
				d.errAt(at(rl, "key"), "key: %v", err)
			}
			l.rules.limitKeys[i] = t
		}
		if cp := f.Cache; cp != nil && cp.CacheKey != "" {
			t, err := route.CompileTemplate(cp.CacheKey, caps)
			if err != nil {
				d.errAt(at(cp, "cache_key"), "cache_key: %v", err)
			} else if !cp.SharedAcrossHosts && !t.Uses(route.PlaceholderHost) {
				l.warnf(at(cp, "cache_key"), "cache_key %q has no {host}: the host is added in front of it, so each Host gets its own entries (one Host cannot fill what another is served); set shared_across_hosts: true if every host serves the same content", cp.CacheKey)
			}
			l.rules.cacheKeys[i] = t
		}
		l.checkConsumerKeys(d, f)
		l.rules.transforms[i] = l.compileTransform(d, f, caps)
		if f.Auth != nil && clean {
			l.rules.auths[i] = l.compileAuth(d, f)
		}
	}

	if !clean {
		return
	}
	l.checkServers(d)
	l.checkSplit(d)
	l.checkInheritedHealthCheck(d)
	l.checkPipelining(d)
	l.checkBodyBudget(d)
	l.checkBackendTLS(d)
	if table != nil && len(perrs) == 0 {
		for _, s := range table.Shadowed() {
			p := at(&c.Paths[s.Rule], "pattern")
			if len(s.Also) == 0 {
				l.warnf(p, "rule %d (%q) can never match: rule %d (%q) before it covers every request it matches",
					s.Rule+1, c.Paths[s.Rule].Pattern, s.By+1, c.Paths[s.By].Pattern)
				continue
			}
			by := fmt.Sprintf("%d (%q)", s.By+1, c.Paths[s.By].Pattern)
			for _, a := range s.Also {
				by += fmt.Sprintf(", %d (%q)", a+1, c.Paths[a].Pattern)
			}
			l.warnf(p, "rule %d (%q) can never match: rules %s before it cover every request it matches, each for some of its hosts or methods",
				s.Rule+1, c.Paths[s.Rule].Pattern, by)
		}
	}
	for _, name := range inactiveFeatures(c) {
		l.warnf(pos{}, "feature %s is configured but not active yet in this build: it is validated and ignored", name)
	}
}

func (l *Loaded) checkServers(d *decoder) {
	c := l.Config
	any := len(c.Servers) > 0
	for i := range c.Paths {
		any = any || len(c.Paths[i].Servers) > 0 || len(c.Paths[i].Features.Split) > 0
	}
	if !any {
		l.warnf(pos{}, "no servers configured: this is a plugin-mode config (standalone mode needs `servers`)")
		return
	}
	if len(c.Servers) > 0 {
		return
	}
	for i := range c.Paths {
		p := &c.Paths[i]
		if len(p.Servers) == 0 && len(p.Features.Split) == 0 {
			d.errAt(d.keys[p]["pattern"], "rule %q has no servers: set `servers` on the rule or globally", p.Pattern)
		}
	}
}

// checkInheritedHealthCheck warns about rules whose own servers inherit
// the top-level lb.health_check. A rule with `servers` and no `lb` of its
// own balances them with the top-level lb block, probes included; backends
// that do not answer the probed path are marked down and the route fails
// with nothing in the log pointing at the cause. Servers that are also
// top-level servers are probed anyway, so they are not reported.
func (l *Loaded) checkInheritedHealthCheck(d *decoder) {
	c := l.Config
	if c.LB == nil || c.LB.HealthCheck == nil {
		return
	}
	global := make(map[string]bool, len(c.Servers))
	for _, s := range c.Servers {
		global[s.URL] = true
	}
	for i := range c.Paths {
		p := &c.Paths[i]
		if p.LB != nil {
			continue
		}
		l.checkInheritedSplit(d, p, global)
		for _, s := range p.Servers {
			if !global[s.URL] {
				l.warnf(d.keys[p]["servers"], "rule %q: its servers inherit the top-level lb.health_check (probing %s) because the rule has no `lb` block; backends that do not answer that path are marked down and the route fails. Give the rule its own `lb` with a health_check for its servers, or an `lb` block without health_check to not probe them",
					p.Pattern, c.LB.HealthCheck.Path)
				break
			}
		}
	}
}

// checkPipelining warns wherever lb.pipeline is on. Pipelined responses
// are matched to requests by their order alone, and a backend that sends
// more body than its Content-Length says while other requests already
// wait on the connection cannot be told from a correct one: its extra
// bytes would be read as the next client's answer. The gateway drops the
// connection on every anomaly it can see (docs: forwarding, pipelining);
// this one it cannot, so the operator is told once per lb block.
func (l *Loaded) checkPipelining(d *decoder) {
	c := l.Config
	warn := func(owner *lb.Config, where string) {
		if owner != nil && owner.Pipeline > 0 {
			l.warnf(d.keys[owner]["pipeline"], "%slb.pipeline: %d: responses are matched to requests by order, so a backend that sends more body than its Content-Length says while other requests wait on the connection hands the extra bytes to the next client as its answer; pipeline only backends whose framing you trust",
				where, owner.Pipeline)
		}
	}
	warn(c.LB, "")
	for i := range c.Paths {
		warn(c.Paths[i].LB, fmt.Sprintf("rule %q: ", c.Paths[i].Pattern))
	}
}

// checkBodyBudget warns when cache.max_entry_bytes exceeds
// limits.max_buffered_body_bytes: a body is read whole to be stored only
// while the budget covers it, so entries between the two are never stored.
func (l *Loaded) checkBodyBudget(d *decoder) {
	c := l.Config
	if c.Cache.MaxEntryBytes > c.Limits.MaxBufferedBodyBytes {
		l.warnf(d.keys[&c.Limits]["max_buffered_body_bytes"], "limits.max_buffered_body_bytes: %d is below cache.max_entry_bytes (%d): a response body is read whole to be stored only within this budget, so bodies larger than it always stream uncached",
			c.Limits.MaxBufferedBodyBytes, c.Cache.MaxEntryBytes)
	}
}

func (l *Loaded) warnf(p pos, format string, args ...any) {
	l.Warnings = append(l.Warnings, Problem{File: l.File, Line: p.line, Col: p.col,
		Severity: SeverityWarning, Msg: fmt.Sprintf(format, args...)})
}

// Standalone reports whether the config can run as a standalone gateway,
// with a clear reason when it cannot.
func (l *Loaded) Standalone() error {
	c := l.Config
	if len(c.Servers) > 0 {
		return nil
	}
	for i := range c.Paths {
		if len(c.Paths[i].Servers) > 0 || len(c.Paths[i].Features.Split) > 0 {
			return nil
		}
	}
	return fmt.Errorf("%s has no `servers` (global or per path): it is a plugin-mode config; add servers to run standalone", l.File)
}

// inactiveFeatures lists configured features this build does not apply yet.
func inactiveFeatures(c *Config) []string {
	seen := map[string]bool{}
	var out []string
	add := func(name string, on bool) {
		if on && !activeFeatures[name] && !seen[name] {
			seen[name] = true
			out = append(out, name)
		}
	}
	visit := func(f *Features) {
		if f == nil {
			return
		}
		add("cache", f.Cache != nil)
		add("rate_limit", f.RateLimit != nil)
		add("retry", f.Retry != nil)
		add("circuit_breaker", f.CircuitBreaker != nil)
	}
	for i := range c.Paths {
		visit(&c.Paths[i].Features)
		add("lb", c.Paths[i].LB != nil && c.Paths[i].LB.Algorithm != "round_robin")
	}
	visit(c.DefaultFeatures)
	add("lb", c.LB != nil && c.LB.Algorithm != "round_robin")
	add("redis", c.Redis != nil)
	if t := c.TLS; t != nil {
		add("tls.acme", t.ACME != nil)
		add("tls.redirect_http", t.RedirectHTTP)
		add("tls.hsts", t.HSTS.MaxAge > 0)
		add("tls.client_auth", t.ClientAuth.Mode != ClientAuthNone)
	}
	return out
}

// activeFeatures are the optional features this build applies; the rest are
// validated and reported as not active yet.
var activeFeatures = map[string]bool{"retry": true, "circuit_breaker": true, "lb": true, "rate_limit": true, "cache": true, "redis": true, "tls.acme": true,
	"tls.redirect_http": true, "tls.hsts": true, "tls.client_auth": true}

// underReserved reports whether every path pattern can match lies under
// the reserved prefix (its literal start is the prefix itself).
func underReserved(pattern, prefix string) bool {
	p := strings.TrimPrefix(pattern, "^")
	return p == prefix || p == prefix+"$" || strings.HasPrefix(p, prefix+"/")
}
