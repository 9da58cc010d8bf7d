package limiter

// Option configures New and NewRegistry.
type Option func(*options)

type options struct {
	clock   Clock
	maxKeys int
	name    string
	store   Store
}

// WithClock sets the time source. Default: SystemClock. A gateway passes
// one shared CoarseClock (faster). With the Redis store, a clock other than
// SystemClock or CoarseClock (a ManualClock in tests) is also sent to Redis
// (see RedisStore); with those two the scripts read Redis's own TIME.
func WithClock(c Clock) Option { return func(o *options) { o.clock = c } }

// WithMaxKeys caps the keys the local store tracks. Default: DefaultMaxKeys
// (1<<20); n ≤ 0 means the default. What happens at the cap is described in
// doc.go ("At the cap").
func WithMaxKeys(n int) Option { return func(o *options) { o.maxKeys = n } }

// WithName names the limiter. Default: "" (shown as "default" in headers).
// The name namespaces its keys in a shared store, so two limiters with
// different names never share a counter, and it is the policy name of the
// RateLimit headers. A Registry names each limiter by its id.
func WithName(name string) Option { return func(o *options) { o.name = name } }

// WithStore sets where state lives. Default: nil, the in-process sharded
// store. A *RedisStore shares state between processes.
func WithStore(s Store) Option { return func(o *options) { o.store = s } }

// Store is a place limiter state can live other than the in-process default:
// *RedisStore is the one implementation.
type Store interface {
	bind(name string, p params, clock Clock, injected bool, maxKeys int) backend
}

// backend is a store bound to one limiter.
type backend interface {
	allow(key []byte, now, maxWait int64) Decision
}
