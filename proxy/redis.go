package proxy

import (
	"fmt"
	"time"

	"github.com/redis/rueidis"
)

// newRedisClient connects to the `redis:` block's server. Entries and
// limits use plain commands and Lua scripts, so server-assisted client-side
// caching is off.
func newRedisClient(cfg *RedisConfig) (rueidis.Client, error) {
	opt, err := rueidis.ParseURL(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("redis: %w", err)
	}
	opt.DisableCache = true
	opt.ConnWriteTimeout = time.Second
	opt.Dialer.Timeout = time.Second
	c, err := rueidis.NewClient(opt)
	if err != nil {
		return nil, fmt.Errorf("redis %s: %w", cfg.URL, err)
	}
	return c, nil
}
