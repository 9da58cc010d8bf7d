package proxy

import "time"

// CacheOutcome is what the cache did for one request.
type CacheOutcome uint8

// Cache outcomes.
const (
	CacheNone   CacheOutcome = iota // the rule has no cache
	CacheHit                        // served from the cache
	CacheMiss                       // fetched from the backend
	CacheBypass                     // not cacheable (method, no-cache request)
)

// LimitOutcome is what the rate limiter decided for one request.
type LimitOutcome uint8

// Limit outcomes.
const (
	LimitNone    LimitOutcome = iota // the rule has no rate limit
	LimitAllowed                     // counted and admitted
	LimitDelayed                     // admitted after a leaky-bucket wait
	LimitRejected                    // refused with the rule's error status
)

// Observation is one finished request as the dashboard and /metrics see
// it. It lives in the request's scratch memory: observers must copy what
// they keep and must not allocate per call.
type Observation struct {
	Rule     int    // rule index; -1 for default_features
	Route    string // the rule's pattern, or "default"
	Method   []byte
	Path     []byte // normalised path
	Status   int
	Start    time.Time
	Duration time.Duration // whole request in the gateway
	Upstream time.Duration // time spent waiting on the backend (0: none)
	Backend  string        // backend URL, "app" in plugin mode, "" when none
	Cache    CacheOutcome
	Limit    LimitOutcome
	LimitKey []byte // the limiter key when Limit is set
}

// metrics collects observations. It is the hook the dashboard fills in.
type metrics struct{}

func (m *metrics) observe(o *Observation) {}
