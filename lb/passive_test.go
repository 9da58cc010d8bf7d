package lb

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/premier-gateway/premier/internal/wait"
)

func ejector(t *testing.T, n int, cfg PassiveHealth) (*Ejector, []*Backend, *bytes.Buffer) {
	t.Helper()
	_, bs := testBackends(t, n)
	var logs bytes.Buffer
	return NewEjector(cfg, bs, slog.New(slog.NewTextHandler(&logs, nil))), bs, &logs
}

func fail(e *Ejector, i, times int, o Outcome, now time.Time) {
	for range times {
		e.Observe(i, o, now)
	}
}

// Consecutive failures eject for base_ejection; back in rotation the first
// failure ejects again for twice as long, up to max_ejection; a success
// resets both the run and the backoff.
func TestEjectorBackoff(t *testing.T) {
	e, bs, logs := ejector(t, 4, PassiveHealth{ConsecutiveFailures: 3, BaseEjection: 10, MaxEjection: 25, MaxEjectedPercent: 50})
	now := time.Unix(1000, 0)
	fail(e, 0, 2, GatewayFailure, now)
	e.Observe(0, Succeeded, now) // the run restarts
	fail(e, 0, 2, GatewayFailure, now)
	if bs[0].Ejected(now) {
		t.Fatal("ejected after 2 consecutive failures, want 3")
	}
	e.Observe(0, GatewayFailure, now)
	if !bs[0].Ejected(now) || !bs[0].Ejected(now.Add(9*time.Second)) || bs[0].Ejected(now.Add(10*time.Second)) {
		t.Fatal("want out for exactly base_ejection (10 s)")
	}
	if !strings.Contains(logs.String(), `msg="backend ejected" backend=`+bs[0].URL) || !strings.Contains(logs.String(), "for=10s") {
		t.Fatalf("log: %s", logs.String())
	}
	now = now.Add(10 * time.Second)
	e.Observe(0, GatewayFailure, now) // first failure back in rotation
	if !bs[0].Ejected(now.Add(19*time.Second)) || bs[0].Ejected(now.Add(20*time.Second)) {
		t.Fatal("second ejection: want 20 s")
	}
	now = now.Add(20 * time.Second)
	e.Observe(0, GatewayFailure, now)
	if !bs[0].Ejected(now.Add(24*time.Second)) || bs[0].Ejected(now.Add(25*time.Second)) {
		t.Fatal("third ejection: want max_ejection (25 s), not 40")
	}
	now = now.Add(25 * time.Second)
	e.Observe(0, Succeeded, now)
	fail(e, 0, 2, GatewayFailure, now)
	if bs[0].Ejected(now) {
		t.Fatal("a success must reset the run")
	}
	e.Observe(0, GatewayFailure, now)
	if bs[0].Ejected(now.Add(10*time.Second)) || !bs[0].Ejected(now.Add(9*time.Second)) {
		t.Fatal("a success must reset the backoff to base_ejection")
	}
	if st := bs[0].Stats(); st.Ejections != 4 {
		t.Fatalf("ejections %d, want 4", st.Ejections)
	}
}

// A 500 says nothing about the backend unless count_5xx says so; failures
// that are not the backend's (a full local pool, a client body) neither
// count nor reset.
func TestEjectorWhatCounts(t *testing.T) {
	now := time.Unix(1000, 0)
	e, bs, _ := ejector(t, 2, DefaultPassiveHealth())
	fail(e, 0, 10, ServerError, now)
	if bs[0].Ejected(now) {
		t.Fatal("500s ejected a backend without count_5xx")
	}
	fail(e, 1, 2, GatewayFailure, now)
	e.Observe(1, NotTheBackend, now)
	e.Observe(1, GatewayFailure, now)
	if !bs[1].Ejected(now) {
		t.Fatal("a local failure between gateway failures reset the run")
	}
	cfg := DefaultPassiveHealth()
	cfg.Count5xx = true
	e, bs, _ = ejector(t, 2, cfg)
	fail(e, 0, 3, ServerError, now)
	if !bs[0].Ejected(now) {
		t.Fatal("count_5xx: 500s must count")
	}
	if OutcomeOf(503) != GatewayFailure || OutcomeOf(500) != ServerError || OutcomeOf(404) != Succeeded {
		t.Fatal("OutcomeOf")
	}
}

// At most max_ejected_percent of the group is out at once (at least one),
// never the last backend; a single backend is never ejected.
func TestEjectorCap(t *testing.T) {
	now := time.Unix(1000, 0)
	e, bs, _ := ejector(t, 4, DefaultPassiveHealth()) // 50 %: two of four
	for i := range bs {
		fail(e, i, 3, GatewayFailure, now)
	}
	out := 0
	for _, b := range bs {
		if b.Ejected(now) {
			out++
		}
	}
	if out != 2 {
		t.Fatalf("%d of 4 ejected, want 2 (max_ejected_percent 50)", out)
	}
	cfg := DefaultPassiveHealth()
	cfg.MaxEjectedPercent = 100
	e, bs, _ = ejector(t, 2, cfg)
	fail(e, 0, 3, GatewayFailure, now)
	fail(e, 1, 3, GatewayFailure, now)
	if !bs[0].Ejected(now) || bs[1].Ejected(now) {
		t.Fatal("100 %: the last backend must stay")
	}
	cfg.MaxEjectedPercent = 0
	e, bs, _ = ejector(t, 3, cfg)
	fail(e, 0, 3, GatewayFailure, now)
	if !bs[0].Ejected(now) {
		t.Fatal("0 %: at least one may be ejected")
	}
	if NewEjector(DefaultPassiveHealth(), bs[:1], nil) != nil {
		t.Fatal("a single backend must have no ejector: it is never ejected")
	}
	off := DefaultPassiveHealth()
	off.ConsecutiveFailures = 0
	if NewEjector(off, bs, nil) != nil {
		t.Fatal("consecutive_failures: 0 must turn passive health off")
	}
}

func TestPassiveHealthValidate(t *testing.T) {
	good := DefaultPassiveHealth()
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	bad := PassiveHealth{ConsecutiveFailures: -1, BaseEjection: 0, MaxEjection: -1, MaxEjectedPercent: 101}
	err := bad.Validate()
	for _, key := range []string{"consecutive_failures:", "base_ejection:", "max_ejection:", "max_ejected_percent:"} {
		if err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("want a problem at %s, got %v", key, err)
		}
	}
}

// A passing active health check brings an ejected backend back at once,
// rather than when its ejection runs out.
func TestHealthCheckUnejects(t *testing.T) {
	a, b := startServer(t), startServer(t)
	p := NewPool(nil)
	defer p.Close()
	ba, _ := p.Get(Server{URL: a.URL})
	bb, _ := p.Get(Server{URL: b.URL})
	e := NewEjector(DefaultPassiveHealth(), []*Backend{ba, bb}, nil)
	fail(e, 0, 3, GatewayFailure, time.Now())
	if !ba.Ejected(time.Now()) {
		t.Fatal("not ejected")
	}
	p.SetHealthCheck([]string{a.URL}, testHealthCheck())
	wait.Until(t, "un-ejection by the probes", func() bool { return !ba.Ejected(time.Now()) })
	if st := ba.Stats(); st.Ejected || st.Ejections != 1 {
		t.Fatalf("stats %+v", st)
	}
}
