package lb

import (
	"log/slog"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"
)

// healthChecker is the goroutine that probes one backend. It is owned by
// the backend: started by Pool.SetHealthCheck, stopped by stopHealth.
type healthChecker struct {
	cfg    HealthCheck
	client *fasthttp.HostClient
	stop   chan struct{}
	done   chan struct{}
	// ejections counts passive ejections so the loop restarts its run of
	// successes after one.
	ejections atomic.Uint32
}

// probeBodyLimit bounds the body a probe reads.
const probeBodyLimit = 64 << 10

// SetHealthCheck starts, changes or (with hc nil) stops the active health
// check of the backends at addrs (as for [Pool.Retain]); unknown addresses
// are ignored. A backend keeps its running check when hc is unchanged, so a
// reload that repeats the same block keeps probe state. hc must be valid
// (defaults filled in). Each backend has at most one check: the last call
// for an address wins. Stopping a check marks the backend healthy.
func (p *Pool) SetHealthCheck(addrs []string, hc *HealthCheck) {
	p.mu.Lock()
	var bs []*Backend
	for _, a := range addrs {
		if b, ok := p.backends[key(a)]; ok && !p.closed {
			bs = append(bs, b)
		}
	}
	p.mu.Unlock()
	var wg sync.WaitGroup // a stop waits for a running probe: stop in parallel
	for _, b := range bs {
		if hc == nil {
			wg.Go(b.stopHealth)
		} else {
			wg.Go(func() { b.startHealth(*hc, p) })
		}
	}
	wg.Wait()
}

// SyncHealthChecks makes checks the complete set of health checks, keyed by
// server URL or Backend.Key: backends not in it stop probing. It suits reloads.
func (p *Pool) SyncHealthChecks(checks map[string]*HealthCheck) {
	want := make(map[string]*HealthCheck, len(checks))
	for a, hc := range checks {
		want[key(a)] = hc
	}
	p.mu.Lock()
	bs := make([]*Backend, 0, len(p.backends))
	for _, b := range p.backends {
		bs = append(bs, b)
	}
	p.mu.Unlock()
	var wg sync.WaitGroup
	for _, b := range bs {
		if hc := want[b.Key]; hc != nil {
			wg.Go(func() { b.startHealth(*hc, p) })
		} else {
			wg.Go(b.stopHealth)
		}
	}
	wg.Wait()
}

// probeClient is a small separate client so probes never queue behind (or
// are refused by) a busy backend's request pool.
// It connects with the backend's own TLS settings (and session cache).
func (p *Pool) probeClient(b *Backend) *fasthttp.HostClient {
	c := p.newClient(b.Target, b.Client.TLSConfig)
	c.MaxConns = 1
	c.StreamResponseBody = false
	c.MaxResponseBodySize = probeBodyLimit
	return c
}

func (b *Backend) startHealth(cfg HealthCheck, p *Pool) {
	b.healthMu.Lock()
	defer b.healthMu.Unlock()
	if b.retired {
		return // forgotten by the pool while this call was on its way
	}
	if old := b.hc.Load(); old != nil {
		if old.cfg == cfg {
			return
		}
		old.halt()
	}
	c := &healthChecker{cfg: cfg, client: p.probeClient(b), stop: make(chan struct{}), done: make(chan struct{})}
	b.consecErr.Store(0) // count passive failures from now on
	b.hc.Store(c)
	go c.run(b)
}

func (b *Backend) stopHealth() {
	b.healthMu.Lock()
	defer b.healthMu.Unlock()
	if old := b.hc.Swap(nil); old != nil {
		old.halt()
		if b.unhealthy.CompareAndSwap(true, false) {
			slog.Info("lb: backend healthy (health check removed)", "backend", b.URL)
		}
	}
}

// halt stops the goroutine and waits for it.
func (c *healthChecker) halt() {
	close(c.stop)
	<-c.done
	c.client.CloseIdleConnections()
}

// passiveFail ejects b after UnhealthyThreshold consecutive failed requests.
func (c *healthChecker) passiveFail(b *Backend) {
	if b.unhealthy.CompareAndSwap(false, true) {
		c.ejections.Add(1)
		slog.Warn("lb: backend unhealthy (consecutive failed requests)", "backend", b.URL,
			"failures", c.cfg.UnhealthyThreshold)
	}
}

func (c *healthChecker) run(b *Backend) {
	defer close(c.done)
	interval := seconds(c.cfg.Interval)
	timer := time.NewTimer(0) // first probe at once
	defer timer.Stop()
	var okRun, failRun int
	seen := c.ejections.Load()
	for {
		select {
		case <-c.stop:
			return
		case <-timer.C:
		}
		ok, why := c.probe(b)
		if e := c.ejections.Load(); e != seen {
			seen, okRun = e, 0
		}
		if ok {
			okRun, failRun = okRun+1, 0
			if okRun >= c.cfg.HealthyThreshold && b.Ejected(time.Now()) {
				// A backend the probes find healthy again is back at once,
				// not when its passive ejection runs out (as Envoy does).
				b.uneject()
				slog.Info("lb: backend back from ejection (health check passed)", "backend", b.URL)
			}
			if okRun >= c.cfg.HealthyThreshold && b.unhealthy.Load() {
				b.consecErr.Store(0)
				if b.unhealthy.CompareAndSwap(true, false) {
					slog.Info("lb: backend healthy", "backend", b.URL, "successes", okRun)
				}
			}
		} else {
			okRun, failRun = 0, failRun+1
			if failRun >= c.cfg.UnhealthyThreshold && b.unhealthy.CompareAndSwap(false, true) {
				slog.Warn("lb: backend unhealthy", "backend", b.URL, "failures", failRun, "reason", why)
			}
		}
		// ±10% jitter keeps many backends' probes from marching in step.
		timer.Reset(interval + time.Duration((rand.Float64()*0.2-0.1)*float64(interval)))
	}
}

// probe sends one GET and reports whether the answer counts as healthy.
func (c *healthChecker) probe(b *Backend) (bool, string) {
	req := fasthttp.AcquireRequest()
	resp := fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	req.SetRequestURI(c.cfg.Path)
	req.Header.SetHost(b.Target.Addr)
	req.Header.SetUserAgent("premier-health-check")
	if b.Target.TLS {
		req.URI().SetScheme("https")
	}
	// A stop waits for at most one probe timeout.
	err := c.client.DoTimeout(req, resp, seconds(c.cfg.Timeout))
	if err != nil {
		return false, err.Error()
	}
	code := resp.StatusCode()
	if c.cfg.ExpectedStatus != 0 {
		if code != c.cfg.ExpectedStatus {
			return false, "status " + strconv.Itoa(code)
		}
		return true, ""
	}
	if code < 200 || code >= 400 {
		return false, "status " + strconv.Itoa(code)
	}
	return true, ""
}

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }
