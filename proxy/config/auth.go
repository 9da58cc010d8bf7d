package config

import (
	"strings"

	"github.com/premier-gateway/premier/proxy/auth"
)

// compileAuth builds a rule's auth feature, reading its files; a file's
// problem is reported at the key naming the file.
func (l *Loaded) compileAuth(d *decoder, f *Features) *auth.Auth {
	c := f.Auth
	a, err := auth.New(c)
	if err == nil {
		return a
	}
	var p pos
	switch msg := err.Error(); {
	case strings.HasPrefix(msg, "keys_file:") && c.APIKeys != nil:
		p = d.keys[c.APIKeys]["keys_file"]
	case strings.HasPrefix(msg, "users_file:") && c.Basic != nil:
		p = d.keys[c.Basic]["users_file"]
	case strings.HasPrefix(msg, "key_file:") && c.JWT != nil:
		p = d.keys[c.JWT]["key_file"]
	default:
		p = d.keys[f]["auth"]
	}
	d.errAt(p, "auth: %v", err)
	return nil
}

// checkConsumerKeys warns where {consumer} and auth do not go together: a
// key using {consumer} on a rule without auth (every request gets "-"),
// and a cache_key without {consumer} on a rule with auth (an answer to
// one consumer is served to another).
func (l *Loaded) checkConsumerKeys(d *decoder, f *Features) {
	at := func(owner any, key string) pos { return d.keys[owner][key] }
	if f.Auth == nil || f.Auth.JWT == nil { // {jwt.CLAIM} only has values from a token
		if rl := f.RateLimit; rl != nil && strings.Contains(rl.Key, "{jwt.") {
			l.warnf(at(rl, "key"), "key %q uses a {jwt.CLAIM} but the rule has no auth.jwt: every request gets \"-\" for it", rl.Key)
		}
		if cp := f.Cache; cp != nil && strings.Contains(cp.CacheKey, "{jwt.") {
			l.warnf(at(cp, "cache_key"), "cache_key %q uses a {jwt.CLAIM} but the rule has no auth.jwt", cp.CacheKey)
		}
	}
	if f.Auth == nil {
		if rl := f.RateLimit; rl != nil && rl.Key != "global" && strings.Contains(rl.Key, "{consumer}") {
			l.warnf(at(rl, "key"), "key %q uses {consumer} but the rule has no auth: every request counts as the consumer \"-\"", rl.Key)
		}
		if cp := f.Cache; cp != nil && strings.Contains(cp.CacheKey, "{consumer}") {
			l.warnf(at(cp, "cache_key"), "cache_key %q uses {consumer} but the rule has no auth", cp.CacheKey)
		}
		return
	}
	if cp := f.Cache; cp != nil && cp.CacheKey != "" && !strings.Contains(cp.CacheKey, "{consumer}") {
		l.warnf(at(cp, "cache_key"), "cache_key %q has no {consumer} on a rule with auth: one consumer's answers are served to every other consumer (the default key includes the consumer)", cp.CacheKey)
	}
}
