package config

import "github.com/premier-gateway/premier/proxy/route"

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
