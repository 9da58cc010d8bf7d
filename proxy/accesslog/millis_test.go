package accesslog

import (
	"math/rand/v2"
	"strconv"
	"testing"
	"time"
)

// TestAppendMillisAsFloat: the integer path writes what formatting
// float64(µs)/1000 as the shortest decimal writes, for every microsecond
// count below a few seconds and random ones up to the path's bound.
func TestAppendMillisAsFloat(t *testing.T) {
	check := func(us int64) {
		d := time.Duration(us) * time.Microsecond
		want := strconv.AppendFloat(nil, float64(us)/1000, 'f', -1, 64)
		if got := appendMillis(nil, d); string(got) != string(want) {
			t.Fatalf("%d µs: %q, want %q", us, got, want)
		}
	}
	for us := int64(0); us < 5_000_000; us++ {
		check(us)
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 1_000_000 {
		check(r.Int64N(maxExactMicros))
	}
	for _, us := range []int64{maxExactMicros - 1, maxExactMicros, maxExactMicros + 1, -1, -1500, 1 << 40} {
		check(us)
	}
	if got := appendMillis(nil, 1500*time.Microsecond+999*time.Nanosecond); string(got) != "1.5" {
		t.Fatalf("sub-microsecond part: %q", got)
	}
}

// TestQueryRedactionShortcut: a query naming no secret is written as it
// is, and one naming a secret, written plainly or percent-encoded, is
// redacted, as redactQuery alone does.
func TestQueryRedactionShortcut(t *testing.T) {
	f, err := newFormatter(FormatJSON, []string{"api_key", "token"})
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		"", "a=1", "a=1&b=2&", "&&", "api_key", "api_keyx=1", "xapi_key=1", "a=1&api_key=s", "api%5Fkey=s",
		"api+key=s", "token=t&api_key=k", "tok%65n=t", "a=%zz&token=", "=x&token=y",
	} {
		var r Record
		r.reset()
		r.SetString(Query, q)
		want := redactQuery(nil, []byte(q), f.secrets)
		if got := f.query(&r); string(got) != string(want) {
			t.Errorf("%q: %q, want %q", q, got, want)
		}
	}
}
