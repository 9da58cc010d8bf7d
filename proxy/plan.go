package proxy

import (
	"fmt"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/premier-gateway/premier/lb"
	"github.com/premier-gateway/premier/proxy/compress"
	"github.com/premier-gateway/premier/proxy/config"
	"github.com/premier-gateway/premier/proxy/route"
	"github.com/premier-gateway/premier/proxy/tracing"
	"github.com/premier-gateway/premier/proxy/upstream"
	"github.com/premier-gateway/premier/resilience"
)

// table is one compiled config: immutable, swapped whole on reload.
type table struct {
	loaded   *config.Loaded
	match    *route.Table
	trusted  *route.Trusted
	prefix   []byte
	rid      *requestIDs // request_id (nil: off)
	rules    []*plan     // one per path rule, in file order
	fallback *plan       // default_features: requests no rule matches
	// healthz and readyz are the probe paths under prefix (health.go).
	healthz, readyz []byte
	// maxBody bounds request bodies (413 beyond).
	maxBody int64
	// breakerKeys are the registry keys of the breakers this table uses.
	breakerKeys map[string]bool
	// splitKeys are the registry keys of the split counters it uses.
	splitKeys map[string]bool
	// minBody is the smallest body limit of any rule (limits.max_body_bytes
	// or a rule's own): a declared length over it may be refused, so it
	// goes through the 100-continue check before any body byte is read.
	minBody int64
	// limiterIDs are the ids of the limiters this table uses.
	limiterIDs []string
	// backendKeys are the pool keys of the backends this table uses, and
	// healthChecks their active health checks by key.
	backendKeys  []string
	healthChecks map[string]*lb.HealthCheck
	// tracer exports the spans of sampled requests (nil: tracing block
	// without otlp_endpoint); kept across reloads that leave the block alone.
	tracer *tracing.Tracer
}

// plan is one rule's compiled policy: everything the request path needs,
// resolved at load time.
type plan struct {
	index   int    // rule index; -1 for default_features
	name    string // the pattern, or "default"
	noRoute bool   // no backend and no app: answer 404

	// timeout is the whole request's budget (0: none).
	timeout     time.Duration
	timeoutCode int
	timeoutBody []byte

	// logThreshold logs slower requests (0: off).
	logThreshold time.Duration

	// wholeBody is the largest backend response body read whole; larger
	// or unknown-length bodies stream through.
	wholeBody int

	backends []*lb.Backend
	// bases are the servers' base paths, by backend index (nil: none has
	// one): the attempt to backend i sends bases[i] + the request target.
	bases    [][]byte
	balancer lb.Balancer
	// ejector is the group's passive health (nil: off, or no backends).
	ejector *lb.Ejector
	// hashClient: the balancer (ip_hash) needs the client's address hash.
	hashClient bool
	// pipeline: bodiless GET requests go over the backends'
	// pipelined connections (lb.pipeline).
	pipeline bool

	// retry is the retry policy (nil: one attempt); budgets cap retries per
	// backend (one for the app in plugin mode).
	retry   *resilience.RetryConfig
	budgets []*resilience.Budget
	// perTry bounds each attempt (retry.per_try_timeout; 0: none).
	perTry time.Duration
	// breakers has one circuit breaker per backend (nil: none); breakerCfg
	// says which failures count.
	breakers   []*resilience.Breaker
	breakerCfg *resilience.BreakerConfig

	// access is the rule's ip_filter and cors (nil: neither), run before
	// auth and the rate limit.
	access *accessPolicy
	auth   *authPolicy  // nil: no auth
	limit  *limitPolicy // nil: no rate limit
	cache  *cachePolicy // nil: no cache
	// compress is the rule's compression (nil: off), after the response
	// headers (compression.go).
	compress *compress.Policy
	// transform is the rule's rewrite, header rules and redirect (nil:
	// none of them).
	transform *transformPolicy
	// app is the in-process handler in plugin mode (nil in standalone).
	app fasthttp.RequestHandler

	// maxBody bounds the rule's request bodies (413 beyond): its own
	// max_body_bytes, else limits.max_body_bytes.
	maxBody int64
	// split sends the request to one of its arms (nil: the rule's own
	// backends above).
	split *splitPolicy
}

// compile builds the immutable table for l. Backends come from g's pool so
// their connections survive reloads.
func (g *Gateway) compile(l *config.Loaded) (*table, error) {
	c := l.Config
	t := &table{
		loaded:  l,
		match:   l.Routes(),
		trusted: l.Trusted(),
		prefix:  []byte(c.Dashboard.Prefix),
		healthz: []byte(c.Dashboard.Prefix + healthzPath),
		readyz:  []byte(c.Dashboard.Prefix + readyzPath),
		maxBody: c.Limits.MaxBodyBytes,
		rid:     newRequestIDs(c.RequestID),
		minBody: c.Limits.MaxBodyBytes,

		breakerKeys:  map[string]bool{},
		splitKeys:    map[string]bool{},
		healthChecks: map[string]*lb.HealthCheck{},
	}
	top, err := backendTLS(c.BackendTLS, nil, false)
	if err != nil {
		return nil, err
	}
	global, err := g.backendsFor(t, c.Servers, c.LB, c.Limits, top)
	if err != nil {
		return nil, err
	}
	for i := range c.Paths {
		p := &c.Paths[i]
		grp := global
		bt := top
		if p.BackendTLS != nil {
			if bt, err = backendTLS(p.BackendTLS, top, true); err != nil {
				return nil, fmt.Errorf("rule %q: %w", p.Pattern, err)
			}
		}
		if len(p.Servers) > 0 {
			lbc := p.LB
			if lbc == nil {
				lbc = c.LB
			}
			if grp, err = g.backendsFor(t, p.Servers, lbc, c.Limits, bt); err != nil {
				return nil, err
			}
		} else if bt != top {
			// Its own TLS settings for the top-level servers: backends of
			// their own, balanced as the top-level lb says.
			if grp, err = g.backendsFor(t, c.Servers, c.LB, c.Limits, bt); err != nil {
				return nil, err
			}
		}
		if len(p.Features.Split) > 0 {
			grp = group{} // the split's groups are the rule's backends
		}
		pl, err := g.newPlan(t, i, p.Pattern, &p.Features, grp)
		if err != nil {
			return nil, err
		}
		pl.pipeline = pipelineOf(c.LB, p)
		if err := g.compileSplit(t, pl, &p.Features, p.LB, bt); err != nil {
			return nil, err
		}
		t.rules = append(t.rules, pl)
	}
	fb := global
	if c.DefaultFeatures != nil && len(c.DefaultFeatures.Split) > 0 {
		fb = group{}
	}
	if t.fallback, err = g.newPlan(t, -1, "default", c.DefaultFeatures, fb); err != nil {
		return nil, err
	}
	t.fallback.pipeline = pipelineOf(c.LB, nil)
	if c.DefaultFeatures != nil {
		if err := g.compileSplit(t, t.fallback, c.DefaultFeatures, nil, top); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// compileSplit gives p its split's arms: each group's servers from the
// pool (with the rule's backend TLS settings), balanced by the group's lb,
// else the rule's, else the top-level one; breakers and budgets per arm.
// In plugin mode the app stays the one target.
func (g *Gateway) compileSplit(t *table, p *plan, f *config.Features, ruleLB *lb.Config, bt *lb.TLS) error {
	if len(f.Split) == 0 || p.app != nil {
		return nil
	}
	c := t.loaded.Config
	arms := make([]*plan, len(f.Split))
	for i := range f.Split {
		grp := &f.Split[i]
		lbc := grp.LB
		if lbc == nil {
			lbc = ruleLB
		}
		if lbc == nil {
			lbc = c.LB
		}
		bg, err := g.backendsFor(t, grp.Servers, lbc, c.Limits, bt)
		if err != nil {
			return fmt.Errorf("rule %q: split group %d: %w", p.name, i, err)
		}
		arm := *p
		arm.backends, arm.bases, arm.balancer, arm.ejector, arm.hashClient = bg.backends, bg.bases, bg.balancer, bg.ejector, bg.hash
		arm.pipeline = lbc != nil && lbc.Pipeline > 0
		arm.noRoute, arm.split = false, nil
		arm.budgets, arm.breakers = nil, nil
		g.attachTargets(t, &arm, f)
		arms[i] = &arm
	}
	p.noRoute = false
	p.split = g.newSplitPolicy(t, p.name, f.Split, f.SplitSticky, arms)
	return nil
}

// group is one set of servers under one `lb` block, as the rules that use
// it share it.
type group struct {
	backends []*lb.Backend
	bases    [][]byte // each server URL's base path (nil: none has one)
	balancer lb.Balancer
	ejector  *lb.Ejector
	hash     bool // ip_hash: picks need the client's address hash
}

// pipelineOf is whether a rule's backend group pipelines: the rule's own
// lb block when it names its own servers, else the top-level one.
func pipelineOf(global *lb.Config, p *config.PathRule) bool {
	cfg := global
	if p != nil && len(p.Servers) > 0 && p.LB != nil {
		cfg = p.LB
	}
	return cfg != nil && cfg.Pipeline > 0
}

// backendsFor gets the group's backends from the pool (connecting to https
// ones with bt) and records them in t: the keys the pool keeps and their
// health checks.
func (g *Gateway) backendsFor(t *table, servers []lb.Server, cfg *lb.Config, lim config.Limits, bt *lb.TLS) (group, error) {
	if len(servers) == 0 {
		return group{}, nil
	}
	bs := make([]*lb.Backend, len(servers))
	weights := make([]int, len(servers))
	var bases [][]byte
	for i, s := range servers {
		b, err := g.pool.GetTLS(s, bt)
		if err != nil {
			return group{}, fmt.Errorf("server %q: %w", s.URL, err)
		}
		// The base path is the URL's, not the backend's: URLs differing
		// only in their path share the pooled backend.
		if tgt, _ := lb.ParseURL(s.URL); tgt.Base != "" {
			if bases == nil {
				bases = make([][]byte, len(servers))
			}
			bases[i] = []byte(tgt.Base)
		}
		bs[i], weights[i] = b, s.Weight
		t.backendKeys = append(t.backendKeys, b.Key)
		if cfg != nil && cfg.HealthCheck != nil {
			t.healthChecks[b.Key] = cfg.HealthCheck
		}
		if cfg != nil && cfg.Pipeline > 0 {
			b.EnablePipeline(func() lb.Pipeliner {
				// The backend's own dial: TLS (its settings) for https.
				return upstream.NewPipeTransport(b, cfg.Pipeline, seconds(lim.BackendTimeout), b.Client.DialTimeout)
			})
		}
	}
	lbc := lb.Config{Algorithm: lb.RoundRobin}
	if cfg != nil {
		lbc = *cfg
	}
	bal, err := lb.NewBalancer(lbc, bs, weights)
	if err != nil {
		return group{}, err
	}
	return group{backends: bs, bases: bases, balancer: bal, ejector: lb.NewEjector(cfg.Passive(), bs, g.log),
		hash: lbc.Algorithm == lb.IPHash}, nil
}

func (g *Gateway) newPlan(t *table, index int, name string, f *config.Features, grp group) (*plan, error) {
	bs := grp.backends
	p := &plan{index: index, name: name, backends: bs, bases: grp.bases, balancer: grp.balancer, ejector: grp.ejector,
		hashClient: grp.hash, wholeBody: defaultWholeBody, maxBody: t.maxBody}
	if g.app != nil {
		// Plugin mode: the app is the rule's one target.
		p.app = g.app
		p.backends, p.bases, p.balancer, p.ejector = nil, nil, nil, nil
	} else if len(bs) == 0 {
		p.noRoute = true
	}
	cc := t.loaded.Config.Compression // the top-level default
	if f != nil && f.Compression != nil {
		cc = f.Compression
	}
	p.compress = compress.New(cc)
	if p.compress != nil && f != nil && f.Cache != nil {
		g.cache.EnableDerived() // hits carry their entry to the compression stage
	}
	if f == nil {
		return p, nil
	}
	ap, err := newAccessPolicy(f)
	if err != nil {
		return nil, fmt.Errorf("rule %q: %w", name, err)
	}
	p.access = ap
	p.transform = newTransformPolicy(t.loaded.Transform(index))
	if a := t.loaded.Auth(index); a != nil {
		p.auth = newAuthPolicy(a)
	}
	if rl := f.RateLimit; rl != nil {
		id := "rule:" + name
		lp, err := g.newLimitPolicy(id, rl, t.loaded.LimitKey(index))
		if err != nil {
			return nil, fmt.Errorf("rate_limit of %q: %w", name, err)
		}
		p.limit = lp
		t.limiterIDs = append(t.limiterIDs, id)
	}
	if cp := f.Cache; cp != nil {
		p.cache = newCachePolicy(cp, t.loaded.CacheKey(index), name, p.auth != nil)
		p.wholeBody = max(p.wholeBody, int(t.loaded.Config.Cache.MaxEntryBytes))
	}
	if t := f.Timeout; t != nil {
		p.timeout = seconds(t.Seconds)
		p.timeoutCode = t.ErrorStatus
		p.timeoutBody = jsonError(t.ErrorMessage)
		if p.app != nil {
			p.app = g.timeoutHandler(p.app, p.timeout, p.timeoutCode, p.timeoutBody)
		}
	}
	if m := f.Monitoring; m != nil {
		p.logThreshold = seconds(m.LogThreshold)
	}
	if f.MaxBodyBytes > 0 {
		p.maxBody = f.MaxBodyBytes
		t.minBody = min(t.minBody, p.maxBody)
	}
	g.attachTargets(t, p, f)
	return p, nil
}

// attachTargets gives p a retry budget and a circuit breaker per target
// (its backends, or the app), as its features ask.
func (g *Gateway) attachTargets(t *table, p *plan, f *config.Features) {
	targets := make([]string, len(p.backends))
	for i, b := range p.backends {
		targets[i] = b.URL
	}
	if p.app != nil {
		targets = []string{"app"}
	}
	if r := f.Retry; r != nil {
		p.retry = r
		p.perTry = r.PerTry()
		for range targets {
			p.budgets = append(p.budgets, resilience.NewBudget(r.Budget))
		}
	}
	if cb := f.CircuitBreaker; cb != nil {
		p.breakerCfg = cb
		for _, target := range targets {
			key := breakerKey(p.name, target, cb)
			t.breakerKeys[key] = true
			p.breakers = append(p.breakers, g.breakers.get(g, key, p.name, target, cb))
		}
	}
}

// backendTLS is the pool's TLS settings for a backend_tls block (nil for
// none: the defaults). For a rule's block, top is the top-level block's
// result: settings that connect differently label their backends, so
// statistics and metrics tell them apart from the same URLs elsewhere;
// settings that connect alike are the top level's.
func backendTLS(b *config.BackendTLS, top *lb.TLS, rule bool) (*lb.TLS, error) {
	if b == nil {
		return nil, nil
	}
	cfg, id, err := b.ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("backend_tls: %w", err)
	}
	if top != nil && top.ID == id {
		return top, nil
	}
	t := &lb.TLS{Config: cfg, ID: id}
	if rule {
		t.Label = "#tls-" + id[:8]
	}
	return t, nil
}

// defaultWholeBody is the largest backend body read whole by default.
const defaultWholeBody = upstream.FreeBody

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }
