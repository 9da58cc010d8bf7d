package proxy

import (
	"fmt"
	"net/url"
	"time"

	"github.com/redis/rueidis"

	"github.com/premier-gateway/premier/proxy/config"
)

// newRedisClient connects to the `redis:` block's server. Entries and
// limits use plain commands and Lua scripts, so server-assisted client-side
// caching is off.
func newRedisClient(cfg *config.RedisConfig) (rueidis.Client, error) {
	opt, err := rueidis.ParseURL(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("redis: %w", err)
	}
	opt.DisableCache = true
	opt.ConnWriteTimeout = time.Second
	opt.Dialer.Timeout = time.Second
	c, err := rueidis.NewClient(opt)
	if err != nil {
		return nil, fmt.Errorf("redis %s: %w", redactedURL(cfg.URL), err)
	}
	return c, nil
}

// redactedURL is u with its password replaced, for logs and errors.
func redactedURL(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return "(unparsable URL)"
	}
	return p.Redacted()
}
