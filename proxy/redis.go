package proxy

import (
	"fmt"
	"time"

	"github.com/redis/rueidis"

	"github.com/premier-gateway/premier/internal/redact"
	"github.com/premier-gateway/premier/proxy/config"
)

// newRedisClient connects to the `redis:` block's server. Entries and
// limits use plain commands and Lua scripts, so server-assisted client-side
// caching is off.
func newRedisClient(cfg *config.RedisConfig) (rueidis.Client, error) {
	opt, err := rueidis.ParseURL(cfg.URL)
	if err != nil {
		// url.Parse's error quotes the whole URL, password included.
		return nil, fmt.Errorf("redis %s: not a redis:// or rediss:// URL", redact.URL(cfg.URL))
	}
	opt.DisableCache = true
	opt.ConnWriteTimeout = time.Second
	opt.Dialer.Timeout = time.Second
	c, err := rueidis.NewClient(opt)
	if err != nil {
		return nil, fmt.Errorf("redis %s: %w", redact.URL(cfg.URL), err)
	}
	return c, nil
}
