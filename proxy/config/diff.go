package config

import (
	"reflect"
	"strconv"
	"strings"
)

// Diff is what a config changes against another, by rule pattern (rules
// are identified by their pattern, as in the stats). Its fields are those
// of the dashboard's source.Diff, which converts from it.
type Diff struct {
	Added    []string
	Removed  []string
	Changed  []string
	Sections []string // top-level keys that changed, e.g. "servers"
	Same     bool     // nothing changes
}

// Compare describes what changes from old to next: rules by pattern
// (a repeated pattern is told apart by its occurrence, "p (#2)"), and the
// other top-level keys.
func Compare(old, next *Config) Diff {
	d := Diff{Added: []string{}, Removed: []string{}, Changed: []string{}, Sections: []string{}}
	oldRules, oldOrder := rulesByName(old.Paths)
	newRules, newOrder := rulesByName(next.Paths)
	for _, n := range newOrder {
		o, ok := oldRules[n]
		switch {
		case !ok:
			d.Added = append(d.Added, n)
		case !reflect.DeepEqual(o, newRules[n]):
			d.Changed = append(d.Changed, n)
		}
	}
	for _, n := range oldOrder {
		if _, ok := newRules[n]; !ok {
			d.Removed = append(d.Removed, n)
		}
	}
	if len(d.Added) == 0 && len(d.Removed) == 0 && !sameOrder(oldOrder, newOrder) {
		d.Sections = append(d.Sections, "paths (order)")
	}
	ov, nv := reflect.ValueOf(old).Elem(), reflect.ValueOf(next).Elem()
	for i := 0; i < ov.NumField(); i++ {
		f := ov.Type().Field(i)
		if f.Name == "Paths" || !f.IsExported() {
			continue
		}
		if !reflect.DeepEqual(ov.Field(i).Interface(), nv.Field(i).Interface()) {
			name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if name == "" {
				name = strings.ToLower(f.Name)
			}
			d.Sections = append(d.Sections, name)
		}
	}
	d.Same = len(d.Added)+len(d.Removed)+len(d.Changed)+len(d.Sections) == 0
	return d
}

func rulesByName(ps []PathRule) (map[string]*PathRule, []string) {
	m := make(map[string]*PathRule, len(ps))
	order := make([]string, 0, len(ps))
	for i := range ps {
		n := ps[i].Pattern
		for k := 2; m[n] != nil; k++ {
			n = ps[i].Pattern + " (#" + strconv.Itoa(k) + ")"
		}
		m[n] = &ps[i]
		order = append(order, n)
	}
	return m, order
}

func sameOrder(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
