package tracing

import (
	"math"
	"strings"
	"testing"
)

func TestConfigValidate(t *testing.T) {
	good := Config{}
	good.Defaults()
	if err := good.Validate(); err != nil || good.Enabled() {
		t.Fatalf("defaults: %v, enabled %v", err, good.Enabled())
	}
	for _, c := range []struct {
		cfg  Config
		want string
	}{
		{Config{OTLPEndpoint: "collector:4318", SampleRatio: 1, ServiceName: "p"}, "otlp_endpoint:"},
		{Config{OTLPEndpoint: "http://u:p@collector:4318", SampleRatio: 1, ServiceName: "p"}, "otlp_endpoint: credentials"},
		{Config{SampleRatio: 1.5, ServiceName: "p"}, "sample_ratio:"},
		{Config{SampleRatio: math.NaN(), ServiceName: "p"}, "sample_ratio:"},
		{Config{SampleRatio: 1, ServiceName: " "}, "service_name:"},
		{Config{SampleRatio: 1, ServiceName: "p", Headers: map[string]string{"Bad Name": "x"}}, "headers:"},
		{Config{SampleRatio: 1, ServiceName: "p", Headers: map[string]string{"X-Key": "a\r\nb"}}, "headers:"},
	} {
		err := c.cfg.Validate()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want %q", c.cfg, err, c.want)
		}
	}
	for in, want := range map[string]string{
		"http://c:4318":           "http://c:4318/v1/traces",
		"https://c:4318/":         "https://c:4318/v1/traces",
		"http://c:4318/custom/tr": "http://c:4318/custom/tr",
	} {
		if got, err := endpointURL(in); err != nil || got != want {
			t.Errorf("%s: %s %v, want %s", in, got, err, want)
		}
	}
}

// TestDecideRatio: parent-based first, then the ratio, without allocating.
func TestDecideRatio(t *testing.T) {
	tr, err := New(Config{OTLPEndpoint: "http://127.0.0.1:1", SampleRatio: 0.25, ServiceName: "p"}, "test")
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Shutdown(t.Context()) //nolint:errcheck
	sampled := Parent{Flags: 1}
	if !tr.Decide(&sampled, true) || tr.Decide(&Parent{}, true) {
		t.Fatal("a parent's sampled flag is not followed")
	}
	n := 0
	const runs = 20000
	for i := 0; i < runs; i++ {
		if tr.Decide(nil, false) {
			n++
		}
	}
	if n < runs/5 || n > runs*3/10 {
		t.Fatalf("ratio 0.25 sampled %d of %d", n, runs)
	}
	if a := testing.AllocsPerRun(100, func() { tr.Decide(nil, false) }); a != 0 {
		t.Fatalf("%v allocations", a)
	}
}
