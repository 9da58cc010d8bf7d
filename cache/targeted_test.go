package cache

import (
	"strings"
	"testing"
)

func TestTargetedFieldValidated(t *testing.T) {
	for name, want := range map[string]string{
		"":                      "",
		"Edge-Cache-Control":    "",
		"cache-control":         "must not be Cache-Control",
		"CDN-Cache-Control":     "must not be CDN-Cache-Control",
		"Expires":               "must not be Expires",
		"Bad Name":              "not a header field name",
		"Premier-Cache-Control": "",
	} {
		cfg := Config{MaxBytes: 1 << 20, MaxEntryBytes: 1 << 10, TargetedField: name}
		err := cfg.Validate()
		if (err == nil) != (want == "") || err != nil && !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", name, err, want)
		}
	}
}

func TestParseSurrogate(t *testing.T) {
	for v, want := range map[string][2]int64{ // max-age, no-store (1)
		"max-age=60":                   {60, 0},
		"max-age=60+30":                {60, 0},
		"max-age=60;other, no-store":   {-1, 1},
		"no-store;other, max-age=5":    {5, 0},
		"no-store-remote":              {-1, 1},
		`content="ESI/1.0", max-age=7`: {7, 0},
	} {
		var cc cacheControl
		cc.reset()
		cc.parseSurrogate([]byte(v))
		var ns int64
		if cc.noStore {
			ns = 1
		}
		if cc.maxAge != want[0] || ns != want[1] {
			t.Errorf("%q: max-age %d no-store %v, want %v", v, cc.maxAge, cc.noStore, want)
		}
	}
}
