package limiter

import (
	"errors"
	"fmt"
)

// Algorithm names accepted in Config.Algorithm.
const (
	FixedWindow   = "fixed_window"
	SlidingWindow = "sliding_window"
	TokenBucket   = "token_bucket"
	LeakyBucket   = "leaky_bucket"
)

// Config describes one limit. It is the `rate_limit` block of a rule, minus the
// HTTP-facing fields (error_status, error_message, key) that the gateway owns.
type Config struct {
	// Quota is the number of requests allowed per Duration. Required, > 0.
	Quota int `yaml:"quota"`
	// Duration is the window length in seconds (fractions allowed). Required, > 0.
	Duration float64 `yaml:"duration"`
	// Algorithm is one of fixed_window, sliding_window, token_bucket, leaky_bucket.
	// Default: fixed_window.
	Algorithm string `yaml:"algorithm"`
	// BucketSize is the token bucket's capacity or the leaky bucket's queue
	// length. Default: 0, meaning "same as Quota".
	BucketSize int `yaml:"bucket_size"`
}

// Defaults fills the defaults into a zero Config before it is decoded.
func (c *Config) Defaults() { c.Algorithm = FixedWindow }

// Validate reports every problem; each error text starts with the YAML key
// it concerns ("quota: ...") so the config loader can point at its line.
func (c *Config) Validate() error {
	var errs []error
	if c.Quota <= 0 {
		errs = append(errs, fmt.Errorf("quota: must be a positive integer (required), got %d", c.Quota))
	}
	if !(c.Duration > 0) {
		errs = append(errs, fmt.Errorf("duration: must be a positive number of seconds (required), got %v", c.Duration))
	}
	switch c.Algorithm {
	case FixedWindow, SlidingWindow, TokenBucket, LeakyBucket:
	default:
		errs = append(errs, fmt.Errorf("algorithm: unknown algorithm %q (want fixed_window, sliding_window, token_bucket or leaky_bucket)", c.Algorithm))
	}
	if c.BucketSize < 0 {
		errs = append(errs, fmt.Errorf("bucket_size: must not be negative, got %d", c.BucketSize))
	}
	return errors.Join(errs...)
}

// Capacity is BucketSize, or Quota when BucketSize is unset.
func (c *Config) Capacity() int {
	if c.BucketSize > 0 {
		return c.BucketSize
	}
	return c.Quota
}
