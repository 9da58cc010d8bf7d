package lb

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"
)

// Backend is one backend address: its connection pool, counters and health.
// Backends are created and owned by a [Pool]; all methods are safe for
// concurrent use and lock-free.
type Backend struct {
	// URL is the backend's name: the canonical URL, scheme "://" host:port,
	// followed by its TLS label if it has one (see [TLS]).
	URL string
	// Key is the backend's key in its pool: the canonical URL, and for an
	// https backend with its own TLS settings their ID after a '#'.
	Key string
	// Target is the parsed address.
	Target Target
	// Client is the backend's keep-alive pool. Client-side retries are off.
	// For https its TLSConfig is the backend's: with the server name and
	// the session cache filled in.
	Client *fasthttp.HostClient
	pipe   pipeline // the pipelining client, when a rule asks for one

	_ [64]byte // keep the hot counters off the read-mostly fields' line

	inFlight  atomic.Int64
	requests  atomic.Uint64
	failures  atomic.Uint64
	ewma      atomic.Int64 // latency EWMA in nanoseconds; 0 = no sample yet
	consecErr atomic.Int32 // consecutive failed requests (passive health)
	unhealthy atomic.Bool  // set by active probes or passive failures

	// Passive health (outlier ejection, see Ejector).
	outlierRun   atomic.Int32  // consecutive failures that count for ejection
	ejectedUntil atomic.Int64  // unix nanoseconds; out of rotation before then
	ejectLevel   atomic.Uint32 // ejections in a row without a success: the backoff
	ejections    atomic.Uint64 // ejections in all

	healthMu sync.Mutex // serialises starting and stopping the checker
	retired  bool       // guarded by healthMu: no checker may start
	hc       atomic.Pointer[healthChecker]

	_ [64]byte
}

// ewmaWeight is the weight of a new sample when it is below the average
// (1/4); slower samples than the average count double (1/2), so the
// average rises fast and decays slowly ("peak" EWMA).
const (
	ewmaShiftDown = 2
	ewmaShiftUp   = 1
)

// Start records the start of one request: call Done exactly once after it.
func (b *Backend) Start() {
	b.inFlight.Add(1)
	b.requests.Add(1)
}

// Done records the end of a request started with Start: its latency and
// whether it failed (connection error, timeout, 5xx: the caller decides).
// A failed request counts as at least twice the current average latency,
// so p2c_ewma moves away from fast-failing backends.
func (b *Backend) Done(latency time.Duration, failed bool) {
	b.inFlight.Add(-1)
	sample := int64(latency)
	if sample < 1 {
		sample = 1
	}
	if failed {
		b.failures.Add(1)
		if n := b.consecErr.Add(1); n > 0 {
			if c := b.hc.Load(); c != nil && int(n) >= c.cfg.UnhealthyThreshold {
				c.passiveFail(b)
			}
		}
	} else if b.consecErr.Load() != 0 {
		b.consecErr.Store(0)
	}
	for {
		old := b.ewma.Load()
		s := sample
		if failed && s < 2*old {
			s = 2 * old
		}
		var next int64
		switch {
		case old == 0:
			next = s
		case s > old: // rounded up so the average reaches s
			next = old + (s-old+1<<ewmaShiftUp-1)>>ewmaShiftUp
		default:
			next = old - (old-s+1<<ewmaShiftDown-1)>>ewmaShiftDown
		}
		if next == old || b.ewma.CompareAndSwap(old, next) {
			return
		}
	}
}

// InFlight is the number of requests started and not yet done.
func (b *Backend) InFlight() int64 { return b.inFlight.Load() }

// EWMA is the peak-weighted moving average of request latency (0 before
// the first sample).
func (b *Backend) EWMA() time.Duration { return time.Duration(b.ewma.Load()) }

// Healthy reports the health state: false only while an active health
// check (with passive failures counted in) has ejected the backend.
func (b *Backend) Healthy() bool { return !b.unhealthy.Load() }

// BackendStats is a snapshot of a backend's counters.
type BackendStats struct {
	URL      string        `json:"url"`
	Requests uint64        `json:"requests"`
	Failures uint64        `json:"failures"`
	InFlight int64         `json:"in_flight"`
	EWMA     time.Duration `json:"ewma_ns"`
	Healthy  bool          `json:"healthy"`
	// HealthChecked is true while an active health check probes the backend.
	HealthChecked bool `json:"health_checked"`
	// Ejected: the backend is out of rotation by passive health (outlier ejection).
	Ejected bool `json:"ejected"`
	// Ejections: how many times passive health has ejected it.
	Ejections uint64 `json:"ejections"`
}

// Stats returns a snapshot of the counters (each read atomically; the set
// is not one consistent instant).
func (b *Backend) Stats() BackendStats {
	return BackendStats{
		URL:           b.URL,
		Requests:      b.requests.Load(),
		Failures:      b.failures.Load(),
		InFlight:      b.inFlight.Load(),
		EWMA:          b.EWMA(),
		Healthy:       b.Healthy(),
		HealthChecked: b.hc.Load() != nil,
		Ejected:       b.Ejected(time.Now()),
		Ejections:     b.ejections.Load(),
	}
}

// noRetry disables fasthttp's own retries: the gateway owns the policy.
func noRetry(*fasthttp.Request, int, error) (resetTimeout, retry bool) { return false, false }
