package metrics

import (
	"time"

	"github.com/premier-gateway/premier/cache"
)

// CacheOutcome is what the cache did for one request.
type CacheOutcome uint8

// Cache outcomes.
const (
	CacheNone   CacheOutcome = iota // the rule has no cache
	CacheHit                        // served from the cache
	CacheMiss                       // fetched from the backend
	CacheBypass                     // not cacheable (method, repeated keyed query parameter)
)

// LimitOutcome is what the rate limiter decided for one request.
type LimitOutcome uint8

// Limit outcomes.
const (
	LimitNone     LimitOutcome = iota // the rule has no rate limit
	LimitAllowed                      // counted and admitted
	LimitDelayed                      // admitted after a leaky-bucket wait
	LimitRejected                     // refused with the rule's error status
)

// AuthOutcome is what the rule's auth decided for one request.
type AuthOutcome uint8

// Auth outcomes.
const (
	AuthNone         AuthOutcome = iota // the rule has no auth
	AuthAdmitted                        // valid credentials: Observation.Consumer
	AuthUnauthorized                    // 401: missing or invalid credentials
	AuthForbidden                       // 403: valid credentials, not allowed
	AuthThrottled                       // 429: too many failures from the client
)

// authNames label AuthOutcome in /metrics.
var authNames = [8]string{"", "admitted", "unauthorized", "forbidden", "throttled"}

// Source is who produced a request's response.
type Source uint8

// Sources.
const (
	SourceNone    Source = iota // the gateway answered itself before any backend (refusal, error)
	SourceBackend               // a backend: Observation.Backend is its URL
	SourceApp                   // the in-process application (plugin mode)
	SourceCache                 // the cache (a hit)
)

// Observation is one finished request as the dashboard and /metrics see
// it. It lives in the request's scratch memory: observers must copy what
// they keep and must not allocate per call.
type Observation struct {
	Rule   int    // rule index; -1 for default_features
	Route  string // the rule's pattern, or "default"
	Method []byte
	Path   []byte // normalised path
	// Rewritten is the path the rule's rewrite sent to the backend (nil:
	// no rewrite).
	Rewritten []byte
	Status    int
	Start     time.Time
	Duration  time.Duration // whole request in the gateway
	Upstream  time.Duration // time spent waiting on the backend (0: none)
	Source    Source
	Backend   string // backend URL when Source is SourceBackend
	Cache     CacheOutcome
	Limit     LimitOutcome
	LimitKey  []byte // the limiter key when Limit is set
	// Miss is what became of a miss when Cache is CacheMiss: the value the
	// cache's Fill.Done returns (the dashboard counts misses per rule by its
	// Fwd and by its Reason). The zero value counts the miss as "unknown".
	Miss cache.MissResult
	// Auth is the rule's auth decision; Consumer is who was admitted (a
	// string the compiled config owns) and Refused the client address key
	// of a refused request.
	Auth     AuthOutcome
	Consumer string
	Refused  []byte
	// RequestID is the request's ID (empty with request_id off).
	RequestID []byte
}

// BackendName is who answered, as the dashboard and the slow-request log
// name it: the backend URL, "app", "cache", or "" when no one did.
func (o *Observation) BackendName() string { return o.Source.name(o.Backend) }

// name returns backend for SourceBackend and the source's own name otherwise.
func (s Source) name(backend string) string {
	switch s {
	case SourceBackend:
		return backend
	case SourceApp:
		return "app"
	case SourceCache:
		return "cache"
	}
	return ""
}
