package lb

import (
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// PassiveHealth is the `passive_health` block of an `lb` block: outlier
// ejection from the outcome of real requests, with or without active
// health checks. It is on by default; consecutive_failures: 0 turns it off.
type PassiveHealth struct {
	// ConsecutiveFailures ejects a backend after this many failed
	// exchanges in a row. Default 3; 0 turns passive ejection off.
	ConsecutiveFailures int `yaml:"consecutive_failures"`
	// BaseEjection is the first ejection's length in seconds; it doubles
	// with each further ejection while the backend keeps failing. Default 10.
	BaseEjection float64 `yaml:"base_ejection"`
	// MaxEjection caps an ejection's length in seconds. Default 300.
	MaxEjection float64 `yaml:"max_ejection"`
	// MaxEjectedPercent is the share of a rule's backends that may be
	// ejected at once; at least one may be, never the last. Default 50.
	MaxEjectedPercent int `yaml:"max_ejected_percent"`
	// Count5xx counts every 5xx answer as a failure. Default false: only
	// connection failures, attempt timeouts and 502, 503 and 504 count, so
	// a client cannot eject a backend by calling a URL that answers 500.
	Count5xx bool `yaml:"count_5xx"`
}

// Defaults fills the defaults into a zero PassiveHealth before it is decoded.
func (p *PassiveHealth) Defaults() { *p = DefaultPassiveHealth() }

// DefaultPassiveHealth is the passive health of an `lb` block that does not
// configure one (and of a config with no `lb` block at all).
func DefaultPassiveHealth() PassiveHealth {
	return PassiveHealth{ConsecutiveFailures: 3, BaseEjection: 10, MaxEjection: 300, MaxEjectedPercent: 50}
}

// Validate reports every problem, each prefixed by its YAML key.
func (p *PassiveHealth) Validate() error {
	var errs []error
	if p.ConsecutiveFailures < 0 {
		errs = append(errs, fmt.Errorf("consecutive_failures: must be 0 (off) or a positive integer, got %d", p.ConsecutiveFailures))
	}
	if !(p.BaseEjection > 0) {
		errs = append(errs, fmt.Errorf("base_ejection: must be a positive number of seconds, got %v", p.BaseEjection))
	}
	if !(p.MaxEjection >= p.BaseEjection) {
		errs = append(errs, fmt.Errorf("max_ejection: must be a number of seconds at least base_ejection (%v), got %v", p.BaseEjection, p.MaxEjection))
	}
	if p.MaxEjectedPercent < 0 || p.MaxEjectedPercent > 100 {
		errs = append(errs, fmt.Errorf("max_ejected_percent: must be 0 to 100, got %d", p.MaxEjectedPercent))
	}
	return errors.Join(errs...)
}

// Outcome is how one exchange with a backend ended, as the caller
// classified it for passive health.
type Outcome uint8

const (
	// Succeeded: the backend answered below 500.
	Succeeded Outcome = iota
	// ServerError: a 5xx other than 502, 503 and 504. It counts against
	// the backend only with count_5xx.
	ServerError
	// GatewayFailure: the connection failed (refused, reset, garbage), the
	// attempt timed out, or the backend answered 502, 503 or 504.
	GatewayFailure
	// NotTheBackend: the exchange ended for a reason that says nothing
	// about the backend (the client's body failed, the local pool is full).
	NotTheBackend
)

// OutcomeOf classifies an answer's status.
func OutcomeOf(status int) Outcome {
	switch {
	case status == 502 || status == 503 || status == 504:
		return GatewayFailure
	case status >= 500:
		return ServerError
	}
	return Succeeded
}

// Ejector is the passive health of one group of backends (a rule's
// servers under one `lb` block). The ejection state lives on each
// [Backend], so a backend ejected through one rule is out for every rule
// that shares it; the group decides when to eject (its thresholds and its
// cap on the share ejected at once). Safe for concurrent use, lock-free,
// and allocation-free except when it ejects (one log line).
type Ejector struct {
	threshold int32
	count5xx  bool
	base, max time.Duration
	maxOut    int // most backends of the group ejected at once
	backends  []*Backend
	log       *slog.Logger
}

// NewEjector returns the passive health of backends under cfg, or nil when
// cfg turns it off or there is one backend (never ejected: the last one
// stays). log receives one line per ejection (slog.Default when nil).
func NewEjector(cfg PassiveHealth, backends []*Backend, log *slog.Logger) *Ejector {
	if cfg.ConsecutiveFailures <= 0 || len(backends) < 2 {
		return nil
	}
	if log == nil {
		log = slog.Default()
	}
	maxOut := len(backends) * cfg.MaxEjectedPercent / 100
	maxOut = min(max(maxOut, 1), len(backends)-1)
	return &Ejector{
		threshold: int32(cfg.ConsecutiveFailures),
		count5xx:  cfg.Count5xx,
		base:      seconds(cfg.BaseEjection),
		max:       seconds(cfg.MaxEjection),
		maxOut:    maxOut,
		backends:  backends,
		log:       log,
	}
}

// Observe records the outcome of an exchange with backend i at now.
func (e *Ejector) Observe(i int, o Outcome, now time.Time) {
	b := e.backends[i]
	failed := o == GatewayFailure || (o == ServerError && e.count5xx)
	if !failed {
		if o != NotTheBackend && (b.outlierRun.Load() != 0 || b.ejectLevel.Load() != 0) {
			b.outlierRun.Store(0)
			b.ejectLevel.Store(0)
		}
		return
	}
	if b.outlierRun.Add(1) < e.threshold {
		return
	}
	e.eject(b, now)
}

// eject takes b out of rotation unless it is out already or the group's
// cap is reached (then the next failure tries again).
func (e *Ejector) eject(b *Backend, now time.Time) {
	t := now.UnixNano()
	until := b.ejectedUntil.Load()
	if until > t || e.ejectedAt(t) >= e.maxOut {
		return
	}
	level := b.ejectLevel.Load()
	d := e.base << min(level, 20)
	if d > e.max || d <= 0 {
		d = e.max
	}
	if !b.ejectedUntil.CompareAndSwap(until, t+int64(d)) {
		return // another request ejected it first
	}
	b.ejectLevel.Add(1)
	b.ejections.Add(1)
	// Back in rotation, the first failure ejects it again, for longer.
	b.outlierRun.Store(e.threshold - 1)
	e.log.Warn("backend ejected", slog.String("backend", b.URL),
		slog.Int("consecutive_failures", int(e.threshold)), slog.Duration("for", d))
}

// ejectedAt counts the group's backends ejected at t (unix nanoseconds).
func (e *Ejector) ejectedAt(t int64) int {
	n := 0
	for _, b := range e.backends {
		if b.ejectedUntil.Load() > t {
			n++
		}
	}
	return n
}

// uneject puts b back in rotation with a clean record.
func (b *Backend) uneject() {
	b.ejectedUntil.Store(0)
	b.outlierRun.Store(0)
	b.ejectLevel.Store(0)
}

// Ejected reports whether backend b is out of rotation at now.
func (b *Backend) Ejected(now time.Time) bool {
	until := b.ejectedUntil.Load()
	return until != 0 && until > now.UnixNano()
}
