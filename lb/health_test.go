package lb

import (
	"testing"

	"github.com/premier-gateway/premier/internal/wait"
)

func testHealthCheck() *HealthCheck {
	hc := &HealthCheck{}
	hc.Defaults()
	hc.Interval = 0.005
	hc.Timeout = 1
	return hc
}

func TestHealthCheckEjectsAndRestores(t *testing.T) {
	srv := startServer(t)
	p := NewPool(nil)
	defer p.Close()
	b, err := p.Get(Server{URL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	p.SetHealthCheck([]string{srv.URL}, testHealthCheck())
	if !b.Stats().HealthChecked {
		t.Fatal("health check not running")
	}
	wait.Until(t, "first probes", func() bool { return srv.hits.Load() >= 2 })
	if !b.Healthy() {
		t.Fatal("healthy backend marked unhealthy")
	}
	srv.status.Store(503)
	wait.Until(t, "ejection", func() bool { return !b.Healthy() })
	srv.status.Store(200)
	wait.Until(t, "restoration", func() bool { return b.Healthy() })
}

func TestHealthCheckPassiveFailures(t *testing.T) {
	srv := startServer(t)
	p := NewPool(nil)
	defer p.Close()
	b, _ := p.Get(Server{URL: srv.URL})
	// Without a health check, failures never eject (breakers do that).
	for range 10 {
		b.Start()
		b.Done(0, true)
	}
	if !b.Healthy() {
		t.Fatal("ejected without a health check")
	}
	hc := testHealthCheck()
	hc.Interval = 3600 // one probe now, the next one never in this test
	p.SetHealthCheck([]string{srv.URL}, hc)
	wait.Until(t, "first probe", func() bool { return srv.hits.Load() >= 1 })
	for range hc.UnhealthyThreshold - 1 {
		b.Start()
		b.Done(0, true)
	}
	b.Start()
	b.Done(0, false) // a success resets the run
	for range hc.UnhealthyThreshold - 1 {
		b.Start()
		b.Done(0, true)
	}
	if !b.Healthy() {
		t.Fatal("ejected before UnhealthyThreshold consecutive failures")
	}
	b.Start()
	b.Done(0, true)
	if b.Healthy() {
		t.Fatal("not ejected after UnhealthyThreshold consecutive failures")
	}
	// Removing the check restores the backend.
	p.SetHealthCheck([]string{srv.URL}, nil)
	if !b.Healthy() || b.Stats().HealthChecked {
		t.Fatalf("after removal: %+v", b.Stats())
	}
}

func TestHealthCheckExpectedStatus(t *testing.T) {
	srv := startServer(t)
	srv.status.Store(204)
	p := NewPool(nil)
	defer p.Close()
	b, _ := p.Get(Server{URL: srv.URL})
	hc := testHealthCheck()
	hc.ExpectedStatus = 200
	p.SetHealthCheck([]string{srv.URL}, hc)
	wait.Until(t, "ejection on 204", func() bool { return !b.Healthy() })
	hc2 := *hc
	hc2.ExpectedStatus = 204
	p.SetHealthCheck([]string{srv.URL}, &hc2)
	wait.Until(t, "restoration on 204", func() bool { return b.Healthy() })
}

func TestHealthCheckLifecycle(t *testing.T) {
	srv := startServer(t)
	other := startServer(t)
	p := NewPool(nil)
	defer p.Close()
	b, _ := p.Get(Server{URL: srv.URL})
	o, _ := p.Get(Server{URL: other.URL})
	hc := testHealthCheck()
	hc.Interval = 3600
	p.SetHealthCheck([]string{srv.URL, other.URL, "http://unknown.test"}, hc)
	c := b.hc.Load()
	same := *hc
	p.SetHealthCheck([]string{srv.URL}, &same)
	if b.hc.Load() != c {
		t.Fatal("an unchanged check was restarted")
	}
	changed := *hc
	changed.Path = "/healthz"
	p.SyncHealthChecks(map[string]*HealthCheck{srv.URL + "/": &changed})
	if b.hc.Load() == c || b.hc.Load().cfg.Path != "/healthz" {
		t.Fatal("a changed check was not restarted")
	}
	if o.hc.Load() != nil {
		t.Fatal("SyncHealthChecks left a check not in the set")
	}
	p.Retain(nil)
	if b.hc.Load() != nil {
		t.Fatal("Retain left the check of a forgotten backend running")
	}
}

func TestHealthCheckDeadBackend(t *testing.T) {
	srv := startServer(t)
	p := NewPool(nil)
	defer p.Close()
	b, _ := p.Get(Server{URL: srv.URL})
	p.SetHealthCheck([]string{srv.URL}, testHealthCheck())
	wait.Until(t, "first probe", func() bool { return srv.hits.Load() >= 1 })
	_ = srv.srv.Shutdown()
	srv.ln.Close()
	wait.Until(t, "ejection of a dead backend", func() bool { return !b.Healthy() })
	bal, _ := NewBalancer(Config{}, []*Backend{b}, nil)
	if i := bal.Pick(0, nil); i != -1 {
		t.Fatalf("picked the dead backend: %d", i)
	}
}

func TestHealthCheckRacesRetain(t *testing.T) {
	p := NewPool(nil)
	defer p.Close()
	hc := testHealthCheck()
	hc.Interval = 3600
	for range 50 {
		b, _ := p.Get(Server{URL: "http://127.0.0.1:1"})
		done := make(chan struct{})
		go func() {
			p.SetHealthCheck([]string{b.URL}, hc)
			close(done)
		}()
		p.Retain(nil)
		<-done
		if b.hc.Load() != nil {
			t.Fatal("a check started on a forgotten backend")
		}
	}
}
