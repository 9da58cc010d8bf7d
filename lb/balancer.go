package lb

import (
	"errors"
	"fmt"
)

// ErrNoBackends is returned by [NewBalancer] for an empty backend list.
var ErrNoBackends = errors.New("lb: no backends")

// Filter is the caller's per-rule view of which backends may be picked,
// typically the rule's circuit breakers. i indexes the backends the
// balancer was built with. A nil Filter means every backend is usable.
type Filter interface {
	Usable(i int) bool
}

// Balancer picks a backend. Implementations are safe for concurrent use,
// lock-free and allocation-free.
type Balancer interface {
	// Pick returns an index into the backends the balancer was built with,
	// or -1 when none is both healthy and usable by f. clientHash is a hash
	// of the client's identity (its IP): only ip_hash uses it.
	Pick(clientHash uint64, f Filter) int
}

// NewBalancer builds the balancer cfg.Algorithm names (round_robin when
// empty) over backends. weights, when not nil, holds one positive weight
// per backend; weighted_round_robin and least_conn use them, the others
// ignore them. A nil weights means all 1.
func NewBalancer(cfg Config, backends []*Backend, weights []int) (Balancer, error) {
	if len(backends) == 0 {
		return nil, ErrNoBackends
	}
	if weights != nil && len(weights) != len(backends) {
		return nil, fmt.Errorf("lb: %d weights for %d backends", len(weights), len(backends))
	}
	for i, w := range weights {
		if w <= 0 {
			return nil, fmt.Errorf("lb: weight of %s must be positive, got %d", backends[i].URL, w)
		}
	}
	bs := append([]*Backend(nil), backends...)
	switch cfg.Algorithm {
	case "", RoundRobin:
		return newRoundRobin(bs), nil
	case WeightedRoundRobin:
		return newWeighted(bs, weights), nil
	case LeastConn:
		return newLeastConn(bs, weights), nil
	case P2CEWMA:
		return newP2C(bs), nil
	case IPHash:
		return newIPHash(bs), nil
	}
	return nil, fmt.Errorf("algorithm: unknown balancer %q", cfg.Algorithm)
}

// usable reports whether backend i of bs may be picked under f.
func usable(bs []*Backend, f Filter, i int) bool {
	return !bs[i].unhealthy.Load() && (f == nil || f.Usable(i))
}
