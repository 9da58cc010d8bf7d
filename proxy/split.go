package proxy

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"sync/atomic"

	"github.com/valyala/fasthttp"

	"github.com/premier-gateway/premier/proxy/config"
	"github.com/premier-gateway/premier/resilience"
)

// splitPolicy is a rule's traffic split: one arm per group, each arm a
// copy of the rule's plan with the group's backends, balancer, passive
// health, breakers and retry budgets, so the attempt loop runs inside the
// chosen group as it runs inside any rule's servers. A retry stays in the
// group: a canary's failures are the canary's, and a retry never moves a
// request to a version the split did not choose for it.
type splitPolicy struct {
	arms []*plan
	// cum are the cumulative weights: arm i takes [cum[i-1], cum[i]) of
	// [0, total).
	cum   []uint64
	total uint64
	// stride, coprime with total, maps the request counter n to
	// n*stride mod total: every cycle of total requests visits each point
	// once (exact shares), and consecutive requests land far apart (the
	// groups interleave instead of taking turns in blocks).
	stride uint64
	next   atomic.Uint64
	sticky config.SplitSticky
	// cookie is the sticky cookie's name, tokens each arm's value in it,
	// and set/setTLS each arm's Set-Cookie value (Secure over TLS).
	cookie string
	tokens [][]byte
	set    [][]byte
	setTLS [][]byte
	// counts are each arm's requests (the registry's, kept across reloads).
	counts []*atomic.Uint64
	// names are the arms' labels: the group's index in the rule's list;
	// weights their configured weights.
	names   []string
	weights []int
}

// newSplitPolicy builds the split of rule name over arms, whose groups are
// gs (same order); counts come from g's registry, recorded in t.
func (g *Gateway) newSplitPolicy(t *table, name string, gs []config.SplitGroup, sticky config.SplitSticky, arms []*plan) *splitPolicy {
	sp := &splitPolicy{arms: arms, sticky: sticky, cookie: splitCookieName(name)}
	for i := range gs {
		sp.total += uint64(gs[i].Weight)
		sp.weights = append(sp.weights, gs[i].Weight)
		sp.cum = append(sp.cum, sp.total)
		tok := splitToken(name, i, &gs[i])
		sp.tokens = append(sp.tokens, tok)
		v := append(append(append([]byte(sp.cookie), '='), tok...), "; Path=/; HttpOnly; SameSite=Lax"...)
		sp.set = append(sp.set, v)
		sp.setTLS = append(sp.setTLS, append(append([]byte(nil), v...), "; Secure"...))
		label := strconv.Itoa(i)
		sp.names = append(sp.names, label)
		key := name + "\x00" + label + "\x00" + string(tok)
		t.splitKeys[key] = true
		sp.counts = append(sp.counts, g.splits.get(key))
	}
	sp.stride = coprimeStride(sp.total)
	return sp
}

// choose picks the arm for this request: the client's cookie or address
// when sticky, else the weighted counter. A chosen group with no backend
// that could take the request (all down by health checks, or behind open
// breakers) hands it to the next group that has one: a group that cannot
// serve should cost its share of the traffic nothing but its own metrics,
// not errors (docs/routing.md, Traffic split). It returns the arm and the
// Set-Cookie value to send (nil: none).
func (sp *splitPolicy) choose(t *table, ctx *fasthttp.RequestCtx) (*plan, []byte) {
	i := -1
	switch sp.sticky {
	case config.StickyCookie:
		i = sp.fromCookie(ctx.Request.Header.Peek("Cookie"))
	case config.StickyIP:
		i = sp.arm(mix64(clientHash(t.trusted.ClientIP(ctx))) % sp.total)
	}
	var set []byte
	if i < 0 {
		n := sp.next.Add(1)
		i = sp.arm((n % sp.total) * sp.stride % sp.total)
		if sp.sticky == config.StickyCookie {
			set = sp.set[i]
			if ctx.IsTLS() {
				set = sp.setTLS[i]
			}
		}
	}
	served := i
	for k := 0; k < len(sp.arms) && !sp.arms[served].canServe(); k++ {
		served = (i + k + 1) % len(sp.arms)
	}
	if !sp.arms[served].canServe() {
		served = i // none can: the chosen group answers (503, its Retry-After)
	}
	sp.counts[served].Add(1)
	return sp.arms[served], set
}

// arm maps a point of [0, total) onto the cumulative weights.
func (sp *splitPolicy) arm(x uint64) int {
	for i, c := range sp.cum {
		if x < c {
			return i
		}
	}
	return len(sp.cum) - 1
}

// fromCookie returns the arm whose token the Cookie header carries under
// the split's name, or -1: a missing, unknown or forged value (a group
// removed since, another rule's, one the client made up) is no group.
func (sp *splitPolicy) fromCookie(h []byte) int {
	v := cookieValue(h, sp.cookie)
	if len(v) == 0 {
		return -1
	}
	for i, tok := range sp.tokens {
		if bytes.Equal(v, tok) {
			return i
		}
	}
	return -1
}

// cookieValue finds name's value in a Cookie header ("a=1; b=2") without
// parsing it into fasthttp's cookie list: that would make fasthttp rewrite
// the client's Cookie line on its way to the backend.
func cookieValue(h []byte, name string) []byte {
	for len(h) > 0 {
		var pair []byte
		if i := bytes.IndexByte(h, ';'); i >= 0 {
			pair, h = h[:i], h[i+1:]
		} else {
			pair, h = h, nil
		}
		pair = bytes.TrimLeft(pair, " \t")
		if len(pair) > len(name) && pair[len(name)] == '=' && string(pair[:len(name)]) == name {
			return bytes.TrimRight(pair[len(name)+1:], " \t")
		}
	}
	return nil
}

// canServe reports whether any of the arm's backends could take a request
// now: healthy by the active checks, its breaker (if any) letting calls
// through. Passive ejection is left to the attempt loop, which never lets
// it take the last usable backend away.
func (p *plan) canServe() bool {
	for i, b := range p.backends {
		if !b.Healthy() {
			continue
		}
		if p.breakers == nil {
			return true
		}
		if br := p.breakers[i]; br.State() == resilience.Closed || br.RetryAfter() <= 0 {
			return true
		}
	}
	return false
}

// splitCookieName is a rule's sticky cookie: one per rule pattern, so two
// split rules on one site never overwrite each other's choice.
func splitCookieName(rule string) string {
	sum := sha256.Sum256([]byte(rule))
	return "premier_split_" + hex.EncodeToString(sum[:4])
}

// splitToken is a group's cookie value: a digest of the rule, the group's
// place and its servers. It survives weight changes (a sticky client keeps
// its group while the shares move) and restarts (every instance with the
// same config agrees), and stops matching when the group's servers change.
// Any value that matches no token is ignored.
func splitToken(rule string, i int, grp *config.SplitGroup) []byte {
	h := sha256.New()
	h.Write([]byte(rule))
	h.Write([]byte{0})
	h.Write([]byte(strconv.Itoa(i)))
	for _, s := range grp.Servers {
		h.Write([]byte{0})
		h.Write([]byte(s.URL))
	}
	sum := h.Sum(nil)
	return []byte(hex.EncodeToString(sum[:8]))
}

// coprimeStride is a step near total/φ that shares no factor with total.
func coprimeStride(total uint64) uint64 {
	s := max(uint64(float64(total)*0.6180339887), 1)
	for gcd(s, total) != 1 {
		s++
	}
	return s
}

func gcd(a, b uint64) uint64 {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// mix64 spreads a hash's bits (MurmurHash3's fmix64 finaliser), so addresses
// that differ in a few bits still land on weights spread over the range.
func mix64(h uint64) uint64 {
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return h
}
