package config

import (
	"errors"
	"fmt"

	"github.com/premier-gateway/premier/lb"
)

// SplitGroup is one weighted group of a rule's `split`: its own servers,
// balanced by its own lb block.
type SplitGroup struct {
	// Weight is the group's share of the rule's requests, against the sum
	// of all groups' weights. Required, 1 to MaxSplitWeight.
	Weight int `yaml:"weight"`
	// Servers are the group's backends. Required, at least one.
	Servers []lb.Server `yaml:"servers"`
	// LB balances the group's servers, with its own health checks and
	// passive health. Default: the rule's lb, else the top-level lb.
	LB *lb.Config `yaml:"lb"`
}

// MaxSplitWeight bounds one group's weight, so the sum of a rule's weights
// stays far from overflow (1,000,000 allows shares of one in a million).
const MaxSplitWeight = 1_000_000

// Validate checks one group.
func (g *SplitGroup) Validate() error {
	var errs []error
	if g.Weight < 1 || g.Weight > MaxSplitWeight {
		errs = append(errs, fmt.Errorf("weight: must be a positive integer up to %d (required), got %d", MaxSplitWeight, g.Weight))
	}
	if len(g.Servers) == 0 {
		errs = append(errs, errors.New("servers: required: a group needs at least one server"))
	}
	return errors.Join(errs...)
}

// SplitSticky is how a rule's `split` keeps a client on one group.
type SplitSticky string

const (
	// StickyOff chooses a group for every request by weight alone.
	StickyOff SplitSticky = ""
	// StickyCookie (`split_sticky: true` or `cookie`) remembers the
	// group in a cookie the gateway sets; a request without a valid one
	// is chosen by weight and gets the cookie.
	StickyCookie SplitSticky = "cookie"
	// StickyIP (`split_sticky: ip`) chooses by a hash of the client's
	// address: no state, and it holds for clients that keep no cookies.
	StickyIP SplitSticky = "ip"
)

// UnmarshalYAML accepts true (the cookie), false, "cookie" or "ip".
func (s *SplitSticky) UnmarshalYAML(unmarshal func(any) error) error {
	var b bool
	if err := unmarshal(&b); err == nil {
		*s = StickyOff
		if b {
			*s = StickyCookie
		}
		return nil
	}
	var v string
	if err := unmarshal(&v); err == nil {
		switch SplitSticky(v) {
		case StickyCookie, StickyIP:
			*s = SplitSticky(v)
			return nil
		}
	}
	return errors.New("split_sticky: want true (a cookie), false, cookie or ip")
}

// validateSplit checks the split keys of a rule's features.
func (f *Features) validateSplit() error {
	var errs []error
	if f.Split != nil && len(f.Split) == 0 {
		errs = append(errs, errors.New("split: needs at least one group {weight, servers}"))
	}
	if f.SplitSticky != StickyOff && len(f.Split) == 0 {
		errs = append(errs, errors.New("split_sticky: only applies with split"))
	}
	if f.MaxBodyBytes < 0 {
		errs = append(errs, fmt.Errorf("max_body_bytes: must be a positive number of bytes (omit it for limits.max_body_bytes), got %d", f.MaxBodyBytes))
	}
	return errors.Join(errs...)
}

// Validate checks the features' own keys; each feature's block checks itself.
func (f *Features) Validate() error { return f.validateSplit() }

// checkSplit refuses a rule that names both `servers` and `split`: split
// replaces the rule's servers, and taking one silently would hide a
// mistake (servers meant as a group, or a split left from an old canary).
func (l *Loaded) checkSplit(d *decoder) {
	c := l.Config
	for i := range c.Paths {
		p := &c.Paths[i]
		if len(p.Servers) > 0 && len(p.Features.Split) > 0 {
			d.errAt(d.keys[&p.Features]["split"], "rule %q: split replaces the rule's servers: write the servers inside the split groups and remove `servers` from the rule", p.Pattern)
		}
	}
}

// checkInheritedSplit is checkInheritedHealthCheck for a rule's split
// groups: a group without an lb (in a rule without one) probes its
// servers with the top-level health check.
func (l *Loaded) checkInheritedSplit(d *decoder, p *PathRule, global map[string]bool) {
	for gi := range p.Features.Split {
		grp := &p.Features.Split[gi]
		if grp.LB != nil {
			continue
		}
		for _, s := range grp.Servers {
			if !global[s.URL] {
				l.warnf(d.keys[grp]["servers"], "rule %q: split group %d: its servers inherit the top-level lb.health_check (probing %s) because neither the group nor the rule has an `lb` block; backends that do not answer that path are marked down. Give the group its own `lb`",
					p.Pattern, gi, l.Config.LB.HealthCheck.Path)
				break
			}
		}
	}
}
