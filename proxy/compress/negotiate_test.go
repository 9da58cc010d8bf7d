package compress

import "testing"

func testPolicy(t *testing.T, algorithms ...string) *Policy {
	t.Helper()
	var c Config
	c.Defaults()
	if algorithms != nil {
		c.Algorithms = algorithms
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	return New(&c)
}

func TestNegotiate(t *testing.T) {
	p := testPolicy(t) // zstd, br, gzip
	for _, tc := range []struct {
		ae   string
		want Coding
	}{
		{"", Identity},
		{"gzip", Gzip},
		{"GZIP", Gzip},
		{"x-gzip", Gzip},
		{"gzip, deflate, br", Br},              // equal weights: the server's order
		{"gzip, deflate, br, zstd", Zstd},      // Chrome
		{"br;q=0.5, gzip;q=0.8", Gzip},         // the client's weights first
		{"br;q=1.0, gzip;q=0.999", Br},         //
		{"gzip;q=0", Identity},                 // refused
		{"gzip;q=0, *", Zstd},                  // * covers what is not named
		{"*", Zstd},                            //
		{"*;q=0", Identity},                    // nothing acceptable, identity refused too: identity anyway
		{"identity;q=0", Identity},             // nothing offered is acceptable: as it is
		{"identity", Identity},                 //
		{"identity, gzip", Gzip},               // equal: any coding before identity
		{"identity;q=1, gzip;q=0.5", Identity}, // the client prefers it as it is
		{"gzip;q=0.5", Gzip},                   // identity not named loses to any coding
		{"deflate, compress", Identity},        // not offered
		{" gzip ; q=0.7 , br ; q=0.3 ", Gzip},  // whitespace
		{"gzip;q=2", Identity},                 // malformed weight: member skipped
		{"gzip;q=0.1234", Identity},            // four decimals: malformed
		{"gzip;q=abc, br", Br},                 //
		{"gzip;level=1;q=0.9, br;q=0.8", Gzip}, // other parameters ignored
		{",,gzip,,", Gzip},                     // empty members
		{"br;q=0, br;q=1", Br},                 // the highest weight of a repeated name
	} {
		if got := p.Negotiate([]byte(tc.ae)); got != tc.want {
			t.Errorf("Accept-Encoding %q: got %v, want %v", tc.ae, got, tc.want)
		}
	}
	gz := testPolicy(t, "gzip", "zstd")
	if got := gz.Negotiate([]byte("zstd, gzip, br")); got != Gzip {
		t.Errorf("server order gzip first: got %v", got)
	}
	if got := gz.Negotiate([]byte("br")); got != Identity {
		t.Errorf("br not offered: got %v", got)
	}
}

func TestConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		edit func(*Config)
		ok   bool
	}{
		{func(*Config) {}, true},
		{func(c *Config) { c.Algorithms = nil }, true}, // off
		{func(c *Config) { c.Algorithms = []string{"deflate"} }, false},
		{func(c *Config) { c.Algorithms = []string{"gzip", "gzip"} }, false},
		{func(c *Config) { c.MinBytes = -1 }, false},
		{func(c *Config) { c.Types = []string{"text"} }, false},
		{func(c *Config) { c.Types = []string{"*/*"} }, false},
		{func(c *Config) { c.Types = []string{"application/*+json"} }, false},
		{func(c *Config) { c.Types = []string{"text/html; charset=utf-8"} }, false},
		{func(c *Config) { c.Levels.Gzip = 10 }, false},
		{func(c *Config) { c.Levels.Br = 11 }, false},
		{func(c *Config) { c.Levels.Zstd = 0 }, false},
	} {
		var c Config
		c.Defaults()
		tc.edit(&c)
		if err := c.Validate(); (err == nil) != tc.ok {
			t.Errorf("%+v: err %v, want ok=%v", c, err, tc.ok)
		}
	}
}
