package cache

import "testing"

func TestRepeatsParam(t *testing.T) {
	for _, tc := range []struct {
		query, name string
		want        bool
	}{
		{"id=1", "id", false},
		{"id=1&id=evil", "id", true},
		{"id=1&x=2&id", "id", true},
		{"id=1&ID=evil", "id", true},      // ASP.NET ignores case
		{"id=1&i%64=evil", "id", true},    // decoded by every framework
		{"id=1&id[]=evil", "id", true},    // PHP reads id[] as id
		{"i_d=1&i.d=evil", "i_d", true},   // PHP turns '.' into '_'
		{"i_d=1&i+d=evil", "i_d", true},   // and ' ' too
		{"id=1;id=evil", "id", true},      // ';'-splitting frameworks
		{"id=1&idx=2&xid=3", "id", false}, // other names
		{"id=1&&id2=evil", "id", false},   // empty parameters
		{"a=id&b=id", "id", false},        // values are not names
		{"id=1&i%6=evil", "id", false},    // an invalid escape is literal
		{"", "id", false},
	} {
		if got := RepeatsParam([]byte(tc.query), tc.name); got != tc.want {
			t.Errorf("RepeatsParam(%q, %q) = %v, want %v", tc.query, tc.name, got, tc.want)
		}
	}
	q := []byte("a=1&b=2&c=3&ID=4&d=5&id=6")
	if n := testing.AllocsPerRun(100, func() { _ = RepeatsParam(q, "id") }); n != 0 {
		t.Fatalf("RepeatsParam allocates %v times", n)
	}
}
