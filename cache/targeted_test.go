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
