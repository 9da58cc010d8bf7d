package tracing

import (
	"encoding/hex"
	"strings"
	"testing"
)

const (
	traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	spanID  = "00f067aa0ba902b7"
)

func TestParseTraceparent(t *testing.T) {
	for _, c := range []struct {
		in      string
		ok      bool
		sampled bool
	}{
		{"00-" + traceID + "-" + spanID + "-01", true, true},
		{"00-" + traceID + "-" + spanID + "-00", true, false},
		{"00-" + traceID + "-" + spanID + "-09", true, true}, // unknown flags kept
		{"cc-" + traceID + "-" + spanID + "-01-what-the-future-holds", true, true},
		{"cc-" + traceID + "-" + spanID + "-01", true, true},
		{"cc-" + traceID + "-" + spanID + "-01x", false, false},
		{"00-" + traceID + "-" + spanID + "-01-", false, false},
		{"ff-" + traceID + "-" + spanID + "-01", false, false},
		{"0g-" + traceID + "-" + spanID + "-01", false, false},
		{"00-" + strings.ToUpper(traceID) + "-" + spanID + "-01", false, false},
		{"00-" + strings.Repeat("0", 32) + "-" + spanID + "-01", false, false},
		{"00-" + traceID + "-" + strings.Repeat("0", 16) + "-01", false, false},
		{"00-" + traceID + "-" + spanID + "-1", false, false},
		{"00_" + traceID + "-" + spanID + "-01", false, false},
		{"", false, false},
	} {
		var p Parent
		ok := ParseTraceparent([]byte(c.in), &p)
		if ok != c.ok || ok && p.Sampled() != c.sampled {
			t.Errorf("%q: ok %v sampled %v, want %v %v", c.in, ok, p.Sampled(), c.ok, c.sampled)
		}
		if ok && (hex.EncodeToString(p.TraceID[:]) != traceID || hex.EncodeToString(p.SpanID[:]) != spanID) {
			t.Errorf("%q: parsed %x %x", c.in, p.TraceID, p.SpanID)
		}
	}
}

func TestAppendTraceparentRoundTrip(t *testing.T) {
	var p Parent
	in := "00-" + traceID + "-" + spanID + "-01"
	if !ParseTraceparent([]byte(in), &p) {
		t.Fatal("parse")
	}
	if out := string(AppendTraceparent(nil, p.TraceID, p.SpanID, p.Flags)); out != in {
		t.Fatalf("%q != %q", out, in)
	}
	buf := make([]byte, 0, 64)
	if n := testing.AllocsPerRun(100, func() {
		_ = ParseTraceparent([]byte(in), &p)
		buf = AppendTraceparent(buf[:0], p.TraceID, p.SpanID, p.Flags)
	}); n != 0 {
		t.Fatalf("%v allocations", n)
	}
}

func TestTracestateKeep(t *testing.T) {
	long := strings.Repeat("v", 200)
	var many []string
	for i := 0; i < 33; i++ {
		many = append(many, "k"+string(rune('a'+i%26))+string(rune('a'+i/26))+"=1")
	}
	for _, c := range []struct {
		in   string
		keep string
		ok   bool
	}{
		{"a=1", "a=1", true},
		{"a=1, b=2 ,,c=3\t", "a=1, b=2 ,,c=3", true},
		{"tenant@sys=x,fw529a3039@dt=-1", "tenant@sys=x,fw529a3039@dt=-1", true},
		{"", "", true},
		{"A=1", "", false},
		{"a=1,a=2", "", false},
		{"a", "", false},
		{"a=", "", false},
		{"a=b=c", "", false},
		{"a=x ", "a=x", true}, // trailing blank is OWS
		{"a@b@c=1", "", false},
		{"a=" + long + ",b=" + long + ",c=" + long, "a=" + long + ",b=" + long, true},
		{strings.Join(many[:32], ","), strings.Join(many[:32], ","), true},
		{strings.Join(many, ","), "", false},
	} {
		n, ok := TracestateKeep([]byte(c.in))
		if ok != c.ok || ok && c.in[:n] != c.keep {
			t.Errorf("%q: kept %d (%v), want %q (%v)", c.in, n, ok, c.keep, c.ok)
		}
	}
	in := []byte("a=1,b=2,congo=t61rcWkgMzE")
	if n := testing.AllocsPerRun(100, func() { _, _ = TracestateKeep(in) }); n != 0 {
		t.Fatalf("%v allocations", n)
	}
}
