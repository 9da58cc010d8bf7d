package resilience

import (
	"errors"
	"fmt"
	"time"
)

// RetryConfig is the `retry` block of a rule.
type RetryConfig struct {
	// MaxAttempts is the total number of attempts, the first included. Default 3.
	MaxAttempts int `yaml:"max_attempts"`
	// Wait is the pause in seconds before each retry: one number, or a list
	// whose last value is reused when it is shorter than the retries. Default 1.0.
	Wait Wait `yaml:"wait"`
	// Exceptions names the failure kinds retried, as in the seed; accepted values:
	// Exception (any failure), ConnectionError, TimeoutError. Default [Exception].
	Exceptions []string `yaml:"exceptions"`
	// OnStatus lists the backend statuses that are retried. Default [502, 503, 504].
	OnStatus []int `yaml:"on_status"`
	// Methods lists the methods retried. Default: GET, HEAD, OPTIONS, PUT, DELETE,
	// plus any request carrying an Idempotency-Key header.
	Methods []string `yaml:"methods"`
	// Jitter adds a random share (0..1) of each wait. Default 0.
	Jitter float64 `yaml:"jitter"`
	// Budget caps retries to this share of recent requests per backend. Default 0.2.
	Budget float64 `yaml:"budget"`
	// PerTryTimeout bounds each attempt in seconds; the rule's timeout still
	// bounds the whole request. Default 0: an attempt may take what is left
	// of the request's time (and limits.backend_timeout).
	PerTryTimeout float64 `yaml:"per_try_timeout"`
}

// PerTry is PerTryTimeout as a duration (0: none).
func (c *RetryConfig) PerTry() time.Duration {
	return time.Duration(c.PerTryTimeout * float64(time.Second))
}

// Defaults fills the defaults into a zero RetryConfig before it is decoded.
func (c *RetryConfig) Defaults() {
	c.MaxAttempts = 3
	c.Wait = Wait{1.0}
	c.Exceptions = []string{"Exception"}
	c.OnStatus = []int{502, 503, 504}
	c.Budget = 0.2
}

// Validate reports every problem, each prefixed by its YAML key.
func (c *RetryConfig) Validate() error {
	var errs []error
	if c.MaxAttempts <= 0 {
		errs = append(errs, fmt.Errorf("max_attempts: must be a positive integer, got %d", c.MaxAttempts))
	}
	if len(c.Wait) == 0 {
		errs = append(errs, errors.New("wait: must not be empty"))
	}
	for _, w := range c.Wait {
		if w < 0 {
			errs = append(errs, fmt.Errorf("wait: must not be negative, got %v", w))
			break
		}
	}
	for _, e := range c.Exceptions {
		switch e {
		case "Exception", "ConnectionError", "TimeoutError":
		default:
			errs = append(errs, fmt.Errorf("exceptions: unknown kind %q (want Exception, ConnectionError or TimeoutError)", e))
		}
	}
	for _, s := range c.OnStatus {
		if s < 100 || s > 599 {
			errs = append(errs, fmt.Errorf("on_status: %d is not an HTTP status", s))
		}
	}
	if c.Jitter < 0 || c.Jitter > 1 {
		errs = append(errs, fmt.Errorf("jitter: must be between 0 and 1, got %v", c.Jitter))
	}
	if c.Budget < 0 || c.Budget > 1 {
		errs = append(errs, fmt.Errorf("budget: must be between 0 and 1, got %v", c.Budget))
	}
	if c.PerTryTimeout < 0 || c.PerTryTimeout != c.PerTryTimeout {
		errs = append(errs, fmt.Errorf("per_try_timeout: must be 0 (none) or a positive number of seconds, got %v", c.PerTryTimeout))
	}
	return errors.Join(errs...)
}

// Wait is a list of pauses in seconds; YAML accepts one number or a list.
type Wait []float64

// UnmarshalYAML accepts `1.5` or `[1, 2, 4]`.
func (w *Wait) UnmarshalYAML(unmarshal func(any) error) error {
	var one float64
	if err := unmarshal(&one); err == nil {
		*w = Wait{one}
		return nil
	}
	var many []float64
	if err := unmarshal(&many); err != nil {
		return errors.New("wait: must be a number of seconds or a list of them")
	}
	*w = many
	return nil
}

// BreakerConfig is the `circuit_breaker` block of a rule.
type BreakerConfig struct {
	// FailureThreshold is the number of consecutive failures that opens the
	// circuit. Default 5. Not used when FailureRate is set.
	FailureThreshold int `yaml:"failure_threshold"`
	// FailureRate, when set (0 < rate <= 1), replaces FailureThreshold: the
	// circuit opens when at least MinRequests outcomes were seen since it
	// last closed and the failed share of the last
	// max(MinRequests, RateWindowSize) outcomes reaches the rate. Default 0:
	// off (consecutive failures count).
	FailureRate float64 `yaml:"failure_rate"`
	// MinRequests is the fewest outcomes a FailureRate is judged on (1 to
	// MaxMinRequests); only with FailureRate. Default 0: DefaultMinRequests
	// (20) when failure_rate is set.
	MinRequests int `yaml:"min_requests"`
	// RecoveryTimeout is the number of seconds the circuit stays open before
	// one probe is let through. Default 60.
	RecoveryTimeout float64 `yaml:"recovery_timeout"`
	// ExpectedException names the failure kind that counts, as in the seed:
	// Exception (any failure), ConnectionError or TimeoutError. Default Exception.
	ExpectedException string `yaml:"expected_exception"`
}

// Defaults fills the defaults into a zero BreakerConfig before it is decoded.
func (c *BreakerConfig) Defaults() {
	c.FailureThreshold = 5
	c.RecoveryTimeout = 60
	c.ExpectedException = "Exception"
}

// Validate reports every problem, each prefixed by its YAML key.
func (c *BreakerConfig) Validate() error {
	var errs []error
	if c.FailureThreshold <= 0 {
		errs = append(errs, fmt.Errorf("failure_threshold: must be a positive integer, got %d", c.FailureThreshold))
	}
	if !(c.RecoveryTimeout > 0) {
		errs = append(errs, fmt.Errorf("recovery_timeout: must be a positive number of seconds, got %v", c.RecoveryTimeout))
	}
	switch c.ExpectedException {
	case "Exception", "ConnectionError", "TimeoutError":
	default:
		errs = append(errs, fmt.Errorf("expected_exception: unknown kind %q (want Exception, ConnectionError or TimeoutError)", c.ExpectedException))
	}
	if !(c.FailureRate >= 0 && c.FailureRate <= 1) {
		errs = append(errs, fmt.Errorf("failure_rate: must be a share of failures above 0 and at most 1 (0.5 opens at half), or 0 for consecutive failures, got %v", c.FailureRate))
	}
	switch {
	case c.MinRequests < 0 || c.MinRequests > MaxMinRequests:
		errs = append(errs, fmt.Errorf("min_requests: must be between 1 and %d, got %d", MaxMinRequests, c.MinRequests))
	case c.MinRequests > 0 && c.FailureRate == 0:
		errs = append(errs, errors.New("min_requests: only applies with failure_rate; set failure_rate (a share above 0 and at most 1) or remove min_requests"))
	}
	return errors.Join(errs...)
}

// MinRequestsOrDefault is MinRequests, or DefaultMinRequests when it is 0.
func (c *BreakerConfig) MinRequestsOrDefault() int {
	if c.MinRequests == 0 {
		return DefaultMinRequests
	}
	return c.MinRequests
}
