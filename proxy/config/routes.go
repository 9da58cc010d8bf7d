package config

import (
	"github.com/premier-gateway/premier/proxy/auth"
	"github.com/premier-gateway/premier/proxy/route"
)

// compiledRules is the route data checking a config compiles (it has to,
// to report bad patterns and templates at their positions): the gateway
// builds its table from it instead of compiling the same text twice.
type compiledRules struct {
	table   *route.Table
	trusted *route.Trusted
	// limitKeys and cacheKeys hold each rule's compiled key templates
	// (index len(Paths) is default_features); nil where unused or `global`.
	limitKeys []*route.Template
	cacheKeys []*route.Template
	// auths holds each rule's compiled auth feature (nil without one): its
	// files are read here so a bad file is a problem of the config.
	auths []*auth.Auth
	// transforms holds each rule's compiled rewrite, header rules and
	// redirect (nil without any).
	transforms []*Transform
}

// Routes is the compiled matcher of the rules' patterns, in file order.
func (l *Loaded) Routes() *route.Table { return l.rules.table }

// Trusted is the compiled trusted_proxies list.
func (l *Loaded) Trusted() *route.Trusted { return l.rules.trusted }

// LimitKey is the compiled rate_limit.key template of rule i (-1:
// default_features); nil without a rate limit or with the key `global`.
func (l *Loaded) LimitKey(i int) *route.Template { return l.rules.limitKeys[l.slot(i)] }

// CacheKey is the compiled cache.cache_key template of rule i (-1:
// default_features); nil without a cache or a cache_key.
func (l *Loaded) CacheKey(i int) *route.Template { return l.rules.cacheKeys[l.slot(i)] }

// slot maps a rule index (-1: default_features) to its template slot.
func (l *Loaded) slot(i int) int {
	if i < 0 {
		return len(l.Config.Paths)
	}
	return i
}

// Auth is the compiled auth feature of rule i (-1: default_features); nil
// without one.
func (l *Loaded) Auth(i int) *auth.Auth { return l.rules.auths[l.slot(i)] }

// AuthFiles are the files the rules' auth features were read from
// (keys_file, users_file), each once: a change to one reloads the config.
func (l *Loaded) AuthFiles() []string {
	var out []string
	seen := map[string]bool{}
	for _, a := range l.rules.auths {
		if a == nil {
			continue
		}
		for _, f := range a.Files() {
			if !seen[f] {
				seen[f] = true
				out = append(out, f)
			}
		}
	}
	return out
}
