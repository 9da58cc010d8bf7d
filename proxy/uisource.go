package proxy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/premier-gateway/premier/proxy/config"
	"github.com/premier-gateway/premier/proxy/metrics"
	"github.com/premier-gateway/premier/resilience"
	"github.com/premier-gateway/premier/ui/source"
)

// DashboardSource is the gateway as the dashboard sees it: it implements
// ui/source.Source (a standard-library-only package, so proxy does not
// depend on the dashboard's web code). Create it with
// [Gateway.DashboardSource].
type DashboardSource struct {
	g       *Gateway
	path    string // the config file Apply writes ("": apply without saving)
	started time.Time
	now     func() time.Time

	mu sync.Mutex // serialises Apply and Rollback
}

// DefaultKeepVersions is how many applied configs the gateway keeps for
// rollback when keep ≤ 0.
const DefaultKeepVersions = 10

var _ source.Source = (*DashboardSource)(nil)

// DashboardSource returns the dashboard's view of g. path is the config
// file that Apply and Rollback write back (atomically, the previous
// content kept in config.BackupPath); keep bounds the versions the
// gateway keeps for rollback (default DefaultKeepVersions). The versions
// and health changes are the gateway's own, recorded when they happen
// whether or not anyone watches.
func (g *Gateway) DashboardSource(path string, keep int) *DashboardSource {
	g.versions.setKeep(keep)
	return &DashboardSource{g: g, path: path, started: time.Now(), now: time.Now}
}

// Access reads the dashboard settings of the running config.
func (s *DashboardSource) Access() source.Access {
	t := s.g.cur.Load()
	d := t.loaded.Config.Dashboard
	return source.Access{Enabled: d.Enabled, Prefix: d.Prefix, Token: d.Token, ClientIP: t.trusted.ClientIPOf}
}

// Config returns the running configuration, its credentials redacted
// (config.RedactText): the text leaves the gateway, and an apply that
// keeps the placeholders keeps the values (config.RestoreRedacted).
func (s *DashboardSource) Config() source.Config {
	l := s.g.Loaded()
	c := source.Config{File: l.File, Text: string(config.RedactText(l.Source))}
	for _, v := range s.g.versions.all() {
		if string(v.text) == string(l.Source) { // the newest such is the running one
			c.Version, c.LoadedAt = v.n, v.at
		}
	}
	return c
}

// Validate checks text with the -check validator and diffs it against the
// running config.
func (s *DashboardSource) Validate(text []byte) source.Validation {
	v, _ := s.validate(text, true)
	return v
}

// validate checks text, which came from the dashboard when edited is true
// (it is a kept version otherwise): then its placeholders of redacted
// credentials take the running config's values, and it may use only the
// environment variables the running config uses. Otherwise an applied
// `error_message: "${HOME}"` would put the gateway's environment in every
// rejection the config API's users can provoke.
func (s *DashboardSource) validate(text []byte, edited bool) (source.Validation, *config.Loaded) {
	name := s.fileName()
	running := s.g.Loaded()
	if edited {
		restored, err := config.RestoreRedacted(text, running.Source)
		if err != nil {
			return source.Validation{Errors: problems(err)}, nil
		}
		text = restored
	}
	l, err := config.Parse(name, text)
	if err != nil {
		return source.Validation{Errors: problems(err)}, nil
	}
	if edited {
		if ps := newEnvVars(name, text, l.EnvVars(), running.EnvVars()); len(ps) > 0 {
			return source.Validation{Errors: sourceProblems(ps)}, nil
		}
	}
	v := source.Validation{OK: true, Errors: []source.Problem{}, Warnings: sourceProblems(l.Warnings)}
	d := config.Compare(running.Config, l.Config)
	for _, names := range [][]string{d.Added, d.Changed} {
		for i := range names {
			names[i] = l.QuoteSource(names[i])
		}
	}
	for i := range d.Removed {
		d.Removed[i] = running.QuoteSource(d.Removed[i])
	}
	v.Diff = source.Diff(d)
	return v, l
}

// newEnvVars reports each variable of used that allowed lacks, at the line
// of its first ${NAME reference in text.
func newEnvVars(name string, text []byte, used, allowed []string) config.Problems {
	var ps config.Problems
	for _, v := range used {
		if slices.Contains(allowed, v) {
			continue
		}
		line := 0
		if i := bytes.Index(text, []byte("${"+v)); i >= 0 {
			line = bytes.Count(text[:i], []byte("\n")) + 1
		}
		ps = append(ps, config.Problem{File: name, Line: line, Msg: fmt.Sprintf(
			"environment variable %s is not used by the config file on disk: a text applied through the dashboard may only use the variables the file already uses (add ${%s} to the file itself to use it)", v, v)})
	}
	return ps
}

func (s *DashboardSource) fileName() string {
	if s.path != "" {
		return s.path
	}
	return s.g.Loaded().File
}

// Apply validates text, reloads it, then saves it to the config file.
func (s *DashboardSource) Apply(text []byte, base int) (source.Validation, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.applyLocked(text, base, "dashboard", true)
}

// applyLocked applies text: from the dashboard's editor when edited is
// true, a kept version otherwise (see validate).
func (s *DashboardSource) applyLocked(text []byte, base int, origin string, edited bool) (source.Validation, error) {
	v, l := s.validate(text, edited)
	if l == nil {
		return v, source.ErrInvalid
	}
	if base != 0 && base != s.g.versions.current() {
		v.OK = false
		return v, source.ErrConflict
	}
	n, err := s.g.reloadAs(l, origin, true)
	if err != nil {
		v.OK = false
		v.Errors = problems(err)
		return v, errors.Join(source.ErrInvalid, err)
	}
	v.Version = n
	if s.path == "" {
		return v, nil
	}
	// l.Source is the text with its kept credentials put back.
	if err := s.g.writeConfig(s.path, l.Source); err != nil {
		return v, errors.Join(source.ErrNotSaved, err)
	}
	return v, nil
}

// Versions lists the kept versions, newest first, each stamped when it
// took effect.
func (s *DashboardSource) Versions() []source.Version {
	list := s.g.versions.all()
	cur := s.g.versions.current()
	out := make([]source.Version, 0, len(list))
	for i := len(list) - 1; i >= 0; i-- {
		h := &list[i]
		out = append(out, source.Version{Version: h.n, AppliedAt: h.at, Origin: h.origin,
			Rules: h.rules, Bytes: len(h.text), Current: h.n == cur})
	}
	return out
}

// Rollback applies kept version n again.
func (s *DashboardSource) Rollback(n int) (source.Validation, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	text, ok := s.g.versions.find(n)
	if !ok {
		return source.Validation{}, source.ErrNoVersion
	}
	return s.applyLocked(text, 0, "rollback of "+strconv.Itoa(n), false)
}

// Snapshot returns the live numbers.
func (s *DashboardSource) Snapshot() source.Snapshot {
	now := s.now()
	g := s.g
	snap := source.Snapshot{Time: now, Version: Version, Uptime: now.Sub(s.started).Seconds(),
		Reloads: g.reloads.Load(), FailedReloads: g.reloadFailures.Load()}
	snap.ConfigVersion = g.versions.current()
	snap.HealthEvents = g.healthEvents.List()

	names := s.routeNames()
	plans := g.cur.Load().plans()
	snap.Routes = make([]source.Route, 0, len(names))
	for _, n := range names {
		r, ok := g.metrics.Route(n, now)
		if !ok {
			r = source.Route{Route: n, Limit: source.Limit{Top: []source.KeyCount{}},
				Auth: source.Auth{TopRefused: []source.KeyCount{}}}
		}
		if p := plans[n]; p != nil {
			r.HasCache = p.cache != nil
			for i := range r.Limit.Top {
				r.Limit.Top[i].Key = p.displayKey(r.Limit.Top[i].Key)
			}
		}
		snap.Routes = append(snap.Routes, r)
	}
	// The gateway's own answers before any rule (malformed heads, the
	// reserved prefix…) have a row once there is one: refused requests
	// are visible.
	if r, ok := g.metrics.Route(GatewayRoute, now); ok {
		snap.Routes = append(snap.Routes, r)
	}
	addSplits(snap.Routes, g.cur.Load())
	snap.Overview = g.metrics.Overview(now, snap.Routes)
	snap.Seconds = g.metrics.History(now, s.started)
	snap.Consumers = g.metrics.Consumers()
	if f := g.tls.figures(now); f != nil {
		snap.TLS = dashboardTLS(f)
	}
	snap.Backends = g.backendStates()
	return snap
}

// plans maps each rule's pattern (the first rule of a pattern) and
// "default" to its plan.
func (t *table) plans() map[string]*plan {
	out := make(map[string]*plan, len(t.rules)+1)
	for _, p := range t.rules {
		if _, ok := out[p.name]; !ok {
			out[p.name] = p
		}
	}
	if t.fallback != nil {
		out[t.fallback.name] = t.fallback
	}
	return out
}

// displayKey is a rate-limit key of the rule as a reader wants it: the
// values without the template's length prefixes (route.Template.Display).
func (p *plan) displayKey(key string) string {
	if p.limit == nil || p.limit.key == nil {
		return key
	}
	return p.limit.key.Display([]byte(key))
}

// routeNames are the running config's rule patterns in file order, then
// "default" (each pattern once).
func (s *DashboardSource) routeNames() []string {
	c := s.g.Loaded().Config
	seen := map[string]bool{}
	var out []string
	for i := range c.Paths {
		if p := c.Paths[i].Pattern; !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	if !seen["default"] {
		out = append(out, "default")
	}
	return out
}

// RouteDetail returns one route's last 15 minutes.
// Slots from before the gateway started are left out: a time it was not
// running is not a quiet time.
func (s *DashboardSource) RouteDetail(route string) (source.RouteDetail, bool) {
	d, ok := s.g.metrics.RouteDetail(route, s.now())
	i := 0
	for i < len(d.Slots) && !d.Slots[i].Time.Add(time.Duration(d.SlotSeconds)*time.Second).After(s.started) {
		i++
	}
	d.Slots = d.Slots[i:]
	return d, ok
}

// Recent returns the last requests matching f.
func (s *DashboardSource) Recent(f source.RecentFilter) source.RecentPage {
	reqs, total := s.g.metrics.Recent(f)
	if reqs == nil {
		reqs = []source.Request{}
	}
	plans := s.g.cur.Load().plans()
	for i := range reqs {
		if p := plans[reqs[i].Route]; p != nil && reqs[i].LimitKey != "" {
			reqs[i].LimitKey = p.displayKey(reqs[i].LimitKey)
		}
	}
	return source.RecentPage{Total: total, Kept: metrics.RecentSize, Requests: reqs}
}

// Purge removes cached responses: everything, one rule's (by pattern), or
// one key of a rule: the default key "G|host|path?query" (see
// cache.AppendDefaultKey; "G||path?query" when shared_across_hosts; over
// TLS with "https:" in front, httpsKeyPrefix), or the
// rule's cache_key value, which for a cache_key without {host} begins with
// the host as "{host}|" writes it ("12:shop.example|user:1:7"). Purges
// reach Redis and every instance. The cache does not count what a purge
// drops, so Removed is 0.
func (s *DashboardSource) Purge(p source.Purge) (source.PurgeResult, error) {
	c := s.g.cache
	var err error
	switch {
	case p.All:
		err = c.PurgeAll()
	case p.Rule != "" && p.Key != "":
		err = c.PurgeKey(p.Rule, []byte(p.Key))
	case p.Rule != "":
		err = c.PurgeRule(p.Rule)
	default:
		return source.PurgeResult{}, fmt.Errorf("%w: purge needs all, a rule, or a rule and a key", source.ErrInvalid)
	}
	return source.PurgeResult{}, err
}

// worstBreakerStates maps each backend to its most severe breaker state
// over the rules that use it (open, then half-open, then closed), by name.
func worstBreakerStates(states []BreakerState) map[string]string {
	worst := map[string]resilience.State{}
	for _, b := range states {
		if w, ok := worst[b.Backend]; !ok || b.State.Severity() > w.Severity() {
			worst[b.Backend] = b.State
		}
	}
	out := make(map[string]string, len(worst))
	for backend, st := range worst {
		out[backend] = st.String()
	}
	return out
}

// WriteMetrics writes the Prometheus text format.
func (s *DashboardSource) WriteMetrics(w io.Writer) { s.g.writePrometheus(w) }

// problems turns a load or reload error into positioned problems.
func problems(err error) []source.Problem {
	var ps config.Problems
	if errors.As(err, &ps) {
		return sourceProblems(ps)
	}
	return []source.Problem{{Message: err.Error()}}
}

// sourceProblems copies config problems into the dashboard's type.
func sourceProblems(ps []config.Problem) []source.Problem {
	out := make([]source.Problem, 0, len(ps))
	for _, p := range ps {
		out = append(out, source.Problem{Line: p.Line, Col: p.Col, Message: p.Msg})
	}
	return out
}

// millis is d in (fractional) milliseconds, the dashboard's latency unit.
func millis(d time.Duration) float64 { return float64(d) / 1e6 }

// dashboardTLS is the dashboard's copy of the TLS figures.
func dashboardTLS(f *metrics.TLS) *source.TLS {
	t := &source.TLS{Handshakes: []source.TLSHandshakes{}, Failures: []source.TLSFailures{}, Certificates: []source.TLSCertificate{}}
	for _, h := range f.Handshakes {
		t.Handshakes = append(t.Handshakes, source.TLSHandshakes{Version: h.Version, ALPN: h.ALPN, Count: h.Count})
	}
	for _, x := range f.Failures {
		t.Failures = append(t.Failures, source.TLSFailures{Reason: x.Reason, Count: x.Count})
	}
	for _, e := range f.Expiry {
		t.Certificates = append(t.Certificates, source.TLSCertificate{Name: e.Name, ExpiresIn: e.Seconds})
	}
	return t
}
