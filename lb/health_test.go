package lb

import (
	"testing"
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
	eventually(t, "first probes", func() bool { return srv.hits.Load() >= 2 })
	if !b.Healthy() {
		t.Fatal("healthy backend marked unhealthy")
	}
	srv.status.Store(503)
	eventually(t, "ejection", func() bool { return !b.Healthy() })
	srv.status.Store(200)
	eventually(t, "restoration", func() bool { return b.Healthy() })
}
