package config

import (
	"errors"
	"strings"
	"testing"
)

func TestConfigBreakerFailureRate(t *testing.T) {
	l, err := Parse("b.yaml", []byte(`premier:
  servers: ["http://127.0.0.1:1"]
  paths:
    - pattern: "/api/*"
      features:
        circuit_breaker: {failure_rate: 0.5}
`))
	if err != nil {
		t.Fatal(err)
	}
	cb := l.Config.Paths[0].Features.CircuitBreaker
	if cb.FailureRate != 0.5 || cb.MinRequests != 0 || cb.MinRequestsOrDefault() != 20 || cb.FailureThreshold != 5 {
		t.Fatalf("decoded %+v", cb)
	}

	_, err = Parse("b.yaml", []byte(`premier:
  servers: ["http://127.0.0.1:1"]
  paths:
    - pattern: "/a"
      features:
        circuit_breaker: {failure_rate: 1.5, min_requests: 0}
    - pattern: "/b"
      features:
        circuit_breaker:
          min_requests: 20
    - pattern: "/c"
      features:
        circuit_breaker: {failure_rate: 0.2, min_requests: 100000}
`))
	var ps Problems
	if !errors.As(err, &ps) {
		t.Fatalf("want Problems, got %v", err)
	}
	text := err.Error()
	for _, w := range []string{
		"b.yaml:6:", "failure_rate: must be a share of failures above 0 and at most 1",
		"b.yaml:10:", "min_requests: only applies with failure_rate",
		"b.yaml:13:", "min_requests: must be between 1 and 10000, got 100000",
	} {
		if !strings.Contains(text, w) {
			t.Errorf("missing %q in:\n%s", w, text)
		}
	}
	if len(ps) != 3 {
		t.Errorf("%d problems, want 3:\n%s", len(ps), text)
	}
}
