package source

import "time"

// Snapshot is the live state of the gateway.
type Snapshot struct {
	Time          time.Time `json:"time"`
	Version       string    `json:"version"` // the gateway's software version
	Uptime        float64   `json:"uptime_seconds"`
	ConfigVersion int       `json:"config_version"`
	Reloads       uint64    `json:"reloads"`
	FailedReloads uint64    `json:"failed_reloads"`
	Overview      Overview  `json:"overview"`
	Routes        []Route   `json:"routes"`
	Backends      []Backend `json:"backends"`
	// Consumers counts the requests of each authenticated consumer, most
	// first (at most 1024 names; later ones count as "other").
	Consumers []Consumer `json:"consumers"`
	// TLS is the TLS listener's figures; nil (left out) without one.
	TLS *TLS `json:"tls,omitempty"`
	// Seconds is the whole gateway's last five minutes, one point per
	// complete second, oldest first (none from before the gateway
	// started): the overview's live chart. The dashboard serves all of it
	// at /api/history and only the last few in each snapshot.
	Seconds []Second `json:"seconds"`
	// HealthEvents are the backends' health, ejection and breaker
	// changes, oldest first, stamped when the gateway saw them (whether
	// or not a page was open); nil when the source does not keep them.
	HealthEvents []HealthEvent `json:"health_events"`
}

// Second is one second of the whole gateway.
type Second struct {
	Time     time.Time `json:"time"` // the second's start
	Requests uint64    `json:"requests"`
	Errors   uint64    `json:"errors"` // 5xx, the gateway's own and the backends'
	// Refused counts the 4xx the gateway answered itself, before any
	// backend, the cache or the app: bad requests, auth, rate limits,
	// bodies too large. Limited is the rate limit's share of them.
	Refused uint64  `json:"refused"`
	Limited uint64  `json:"limited"`
	P50     float64 `json:"p50_ms"` // 0 in a second without requests
	P95     float64 `json:"p95_ms"`
	P99     float64 `json:"p99_ms"`
}

// HealthEvent is a backend's health, ejection or breaker state change.
type HealthEvent struct {
	Time    time.Time `json:"time"`
	Backend string    `json:"backend"`
	Healthy bool      `json:"healthy"`
	// Ejected: out of rotation by passive health (outlier ejection).
	Ejected bool   `json:"ejected"`
	Breaker string `json:"breaker"`
}

// TLS is the TLS listener's handshakes since start and its certificates.
type TLS struct {
	Handshakes   []TLSHandshakes  `json:"handshakes"`   // by version and ALPN protocol
	Failures     []TLSFailures    `json:"failures"`     // by reason, a fixed set
	Certificates []TLSCertificate `json:"certificates"` // by name
}

// TLSHandshakes counts completed handshakes of one version ("1.2",
// "1.3") and ALPN protocol ("h1", "h2", "other").
type TLSHandshakes struct {
	Version string `json:"version"`
	ALPN    string `json:"alpn"`
	Count   uint64 `json:"count"`
}

// TLSFailures counts failed handshakes of one reason.
type TLSFailures struct {
	Reason string `json:"reason"`
	Count  uint64 `json:"count"`
}

// TLSCertificate is one served name and the seconds left before its
// certificate expires (negative once expired).
type TLSCertificate struct {
	Name      string `json:"name"`
	ExpiresIn int64  `json:"expires_in_seconds"`
}

// Consumer is one authenticated consumer's numbers since start.
type Consumer struct {
	Consumer string `json:"consumer"`
	Requests uint64 `json:"requests"`
	Limited  uint64 `json:"limited"` // refused by a rate limit
	Errors   uint64 `json:"errors"`  // 5xx
}

// Auth counts a rule's auth decisions since start.
type Auth struct {
	Admitted     uint64 `json:"admitted"`
	Unauthorized uint64 `json:"unauthorized"` // 401
	Forbidden    uint64 `json:"forbidden"`    // 403
	Throttled    uint64 `json:"throttled"`    // 429 after repeated failures
	// TopRefused are the client addresses auth refused most (approximate).
	TopRefused []KeyCount `json:"top_refused"`
}

// Overview sums the whole gateway. Rates and percentiles cover the last
// five minutes; each Stat's Change compares that with the same five
// minutes an hour earlier.
type Overview struct {
	Requests     uint64 `json:"requests"` // since start
	RPS          Stat   `json:"rps"`
	ErrorRate    Stat   `json:"error_rate"` // share of 5xx (gateway's own and backends'), 0..1
	P50          Stat   `json:"p50_ms"`
	P95          Stat   `json:"p95_ms"`
	P99          Stat   `json:"p99_ms"`
	CacheHitRate Stat   `json:"cache_hit_rate"` // hits / (hits + misses), 0..1
	Limited      Stat   `json:"limited"`        // requests refused by a rate limit
	// Refused counts the 4xx the gateway answered itself (Second.Refused):
	// rate limits, auth, bad requests…
	Refused Stat `json:"refused"`
}

// Stat is a recent value and its change over the last hour.
type Stat struct {
	Value float64 `json:"value"`
	// HourAgo is the value an hour earlier; nil when there was no traffic
	// then (or the gateway was not running).
	HourAgo *float64 `json:"hour_ago"`
}

// Route is one rule's numbers (by pattern, never by raw path).
type Route struct {
	Route    string    `json:"route"`
	Requests uint64    `json:"requests"` // since start
	RPS      float64   `json:"rps"`      // last 10 s
	Status   [6]uint64 `json:"status"`   // [other, 1xx, 2xx, 3xx, 4xx, 5xx] since start
	P50      float64   `json:"p50_ms"`   // last 5 minutes
	P95      float64   `json:"p95_ms"`
	P99      float64   `json:"p99_ms"`
	// Mean backend time and gateway overhead (whole request minus backend
	// time) of the requests that reached a backend, since start.
	UpstreamMs float64 `json:"upstream_ms"`
	OverheadMs float64 `json:"overhead_ms"`
	// HasCache: the running rule has a cache (the page shows no cache
	// panel for one without).
	HasCache   bool  `json:"has_cache"`
	Cache      Cache `json:"cache"`
	Limit      Limit `json:"limit"`
	Auth       Auth  `json:"auth"`
	WebSockets int64 `json:"websockets"` // open now
	// Split is the rule's traffic split, one entry per group in the
	// rule's order; left out for a rule without one.
	Split []SplitGroup `json:"split,omitempty"`
}

// SplitGroup is one group of a rule's traffic split: its configured
// weight and the requests it was sent since start (or since its servers
// last changed), with the share of the rule's split requests they are.
type SplitGroup struct {
	Group    int      `json:"group"` // index in the rule's split list
	Weight   int      `json:"weight"`
	Servers  []string `json:"servers"`
	Requests uint64   `json:"requests"`
	Share    float64  `json:"share"` // 0..1
}

// Cache counts cache outcomes; a bypass is a miss whose reason is that the
// request was not cacheable (method, a repeated query parameter its key
// names).
type Cache struct {
	Hits   uint64 `json:"hits"`
	Misses uint64 `json:"misses"`
	Bypass uint64 `json:"bypass"`
	// MissReasons counts the misses by why they missed, the miss's RFC 9211
	// Cache-Status `fwd`: "uri-miss" (no entry for the key), "vary-miss"
	// (entries, none for these Vary values), "stale" (past its freshness
	// lifetime), "request" (the request said no-cache). Largest first;
	// reasons with no miss are left out.
	MissReasons []ReasonCount `json:"miss_reasons"`
	// Fills counts what became of the misses' responses: "stored", or the
	// cache's reason for not storing it (its Cache-Status `detail`:
	// "set-cookie", "no-store", "private", "no-cache", "authorization",
	// "cookie", "request-body", "status", "partial", "head", "vary-star",
	// "vary-limit", "streamed", "too-large", "expired", "memory-budget",
	// "no-freshness"). Largest first; empty reasons left out.
	Fills []ReasonCount `json:"fills"`
	// Revalidations counts what became of stale entries: "not-modified"
	// (a 304 refreshed it), "modified" (replaced), "stale-if-error" (served
	// because the backend failed or answered 5xx), "failed" (the backend
	// failed and it could not be served), "stale-while-revalidate" (served
	// while one background request refreshes it). Largest first; empty
	// outcomes left out.
	Revalidations []ReasonCount `json:"revalidations"`
}

// ReasonCount is a reason and how many requests it covers.
type ReasonCount struct {
	Reason string `json:"reason"`
	Count  uint64 `json:"count"`
}

// Limit counts rate-limit decisions.
type Limit struct {
	Allowed uint64     `json:"allowed"`
	Delayed uint64     `json:"delayed"`
	Limited uint64     `json:"limited"`
	Top     []KeyCount `json:"top"` // most limited keys (approximate), as read: "127.0.0.1", not the limiter's "9:127.0.0.1"
}

// KeyCount is a limited key and about how often it was refused.
type KeyCount struct {
	Key   string `json:"key"`
	Count uint64 `json:"count"`
}

// Backend is one backend's state.
type Backend struct {
	URL           string `json:"url"`
	Healthy       bool   `json:"healthy"`
	HealthChecked bool   `json:"health_checked"`
	// Ejected: out of rotation by passive health (outlier ejection) now;
	// Ejections counts every ejection so far.
	Ejected   bool    `json:"ejected"`
	Ejections uint64  `json:"ejections"`
	Breaker   string  `json:"breaker"` // "closed", "open", "half-open", or "" when none
	InFlight  int64   `json:"in_flight"`
	Requests  uint64  `json:"requests"`
	Failures  uint64  `json:"failures"`
	LatencyMs float64 `json:"latency_ms"` // moving average
}

// RouteDetail is one route's last 15 minutes in 10-second slots, oldest first.
type RouteDetail struct {
	Route       string      `json:"route"`
	SlotSeconds int         `json:"slot_seconds"`
	Slots       []RouteSlot `json:"slots"`
	// BandsMs are the heatmap's latency bands' upper bounds in ms; the
	// last band (no bound) is everything slower.
	BandsMs []float64 `json:"bands_ms"`
}

// RouteSlot is one slot of a RouteDetail.
type RouteSlot struct {
	Time       time.Time `json:"time"` // slot start
	Requests   uint64    `json:"requests"`
	Errors     uint64    `json:"errors"`
	P50        float64   `json:"p50_ms"`
	P95        float64   `json:"p95_ms"`
	P99        float64   `json:"p99_ms"`
	UpstreamMs float64   `json:"upstream_ms"`
	OverheadMs float64   `json:"overhead_ms"`
	Heat       []uint64  `json:"heat"` // requests per latency band
}

// RecentFilter selects recent requests; zero fields match everything.
type RecentFilter struct {
	Route       string // rule pattern, or "default"
	Status      int    // exact status
	StatusClass int    // 1..5 for 1xx..5xx
	RequestID   string // part of the request ID
	Offset      int    // skip this many matches, newest first
	Limit       int    // at most this many (default 50)
}

// RecentPage is a page of recent requests.
type RecentPage struct {
	Total    int       `json:"total"` // matches among the kept requests
	Kept     int       `json:"kept"`  // capacity of the ring
	Requests []Request `json:"requests"`
}

// Request is one finished request.
type Request struct {
	Time   time.Time `json:"time"`
	Method string    `json:"method"`
	Path   string    `json:"path"` // normalised; user-supplied: escape it
	// Rewritten is the path the rule's rewrite sent to the backend ("":
	// no rewrite); user-supplied: escape it.
	Rewritten  string  `json:"rewritten,omitempty"`
	Route      string  `json:"route"`
	Status     int     `json:"status"`
	DurationMs float64 `json:"duration_ms"`
	UpstreamMs float64 `json:"upstream_ms"`
	Backend    string  `json:"backend"`
	Cache      string  `json:"cache"`     // "", "hit", "miss", "bypass"
	Limit      string  `json:"limit"`     // "", "allowed", "delayed", "limited"
	LimitKey   string  `json:"limit_key"` // as read (see Limit.Top)
	// Consumer is who the rule's auth admitted ("" without auth); Auth is
	// its refusal, if any: "", "unauthorized", "forbidden", "throttled".
	Consumer string `json:"consumer"`
	Auth     string `json:"auth"`
	// RequestID is the request's ID ("" with request_id off).
	RequestID string `json:"request_id"`
}
