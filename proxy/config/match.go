package config

import (
	"fmt"
	"sort"

	"github.com/premier-gateway/premier/proxy/route"
)

// Values is a rule's `headers` or `query` criterion: each name with the
// value it must have, exact or, starting with `^`, an RE2 regexp. Scalars
// are read as text (`version: 2` is "2").
type Values map[string]string

// UnmarshalYAML accepts a mapping of names to scalar values.
func (v *Values) UnmarshalYAML(unmarshal func(any) error) error {
	var raw map[string]any
	if err := unmarshal(&raw); err != nil {
		return err
	}
	out := make(Values, len(raw))
	for k, x := range raw {
		switch x := x.(type) {
		case string:
			out[k] = x
		case int, int64, uint64, float64, bool:
			out[k] = fmt.Sprint(x)
		default:
			return fmt.Errorf("%s: want a text value, got %T", k, x)
		}
	}
	*v = out
	return nil
}

// KVs returns v as the router's criteria, sorted by name.
func (v Values) KVs() []route.KV {
	if len(v) == 0 {
		return nil
	}
	out := make([]route.KV, 0, len(v))
	for k, x := range v {
		out = append(out, route.KV{Name: k, Value: x})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Spec is rule p's pattern and criteria as the router compiles them.
func (p *PathRule) Spec() route.Spec {
	// An exact rule with policies covers its trailing forms unless
	// strict (route.Spec.TrailingForms).
	return route.Spec{Pattern: p.Pattern, TrailingForms: !p.Strict && p.Features.Any(),
		Hosts: p.Hosts, Methods: p.Methods, Headers: p.Headers.KVs(), Query: p.Query.KVs()}
}
