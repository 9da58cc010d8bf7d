package route

import (
	"reflect"
	"testing"
)

func TestTrailingForms(t *testing.T) {
	tab, errs := CompileSpecs([]Spec{
		{Pattern: "/api/login", TrailingForms: true},
		{Pattern: "/api/strict"},
		{Pattern: "/api/*/x", TrailingForms: true}, // not exact: no effect
		{Pattern: "/*"},
	})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	for path, want := range map[string]int{
		"/api/login": 0, "/api/login/": 0, "/api/login.": 0, "/api/login./": 0, "/api/login..": 0,
		"/api/login/...": 0,
		"/api/login/y":   3, "/api/login.json": 3, "/api/loginx": 3, "/api/logi": 3,
		"/api/strict": 1, "/api/strict/": 3, "/api/strict.": 3,
		"/api/a/x": 2, "/api/a/x/": 3,
	} {
		if got := tab.Match([]byte(path), nil); got != want {
			t.Errorf("%s: rule %d, want %d", path, got, want)
		}
	}
	if !tab.Exact(0) || !tab.Exact(1) || tab.Exact(2) || tab.Exact(3) {
		t.Error("Exact")
	}
}

// A rule with trailing forms is shadowed only by a rule that covers them.
func TestTrailingFormsShadow(t *testing.T) {
	for _, tc := range []struct {
		specs []Spec
		want  []Shadow
	}{
		{[]Spec{{Pattern: "/a"}, {Pattern: "/a", TrailingForms: true}}, nil},
		{[]Spec{{Pattern: "/a", TrailingForms: true}, {Pattern: "/a"}}, []Shadow{{Rule: 1, By: 0}}},
		{[]Spec{{Pattern: "/a", TrailingForms: true}, {Pattern: "/a/", TrailingForms: true}}, []Shadow{{Rule: 1, By: 0}}},
		{[]Spec{{Pattern: "/a*"}, {Pattern: "/a", TrailingForms: true}}, []Shadow{{Rule: 1, By: 0}}},
		{[]Spec{{Pattern: "/a/*"}, {Pattern: "/a/b", TrailingForms: true}}, []Shadow{{Rule: 1, By: 0}}},
		{[]Spec{{Pattern: "/{x}"}, {Pattern: "/a", TrailingForms: true}}, nil},
	} {
		tab, _ := CompileSpecs(tc.specs)
		got := tab.Shadowed()
		if len(got) != len(tc.want) || len(got) > 0 && !reflect.DeepEqual(got[0], tc.want[0]) {
			t.Errorf("%+v: shadowed %v, want %v", tc.specs, got, tc.want)
		}
	}
}
