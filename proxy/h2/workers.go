package h2

import (
	"sync"
	"time"
)

// workers run the streams' handlers: goroutines kept between streams
// (their stacks already grown to what the gateway's handler needs), so a
// stream costs a hand-over on a channel instead of a new goroutine whose
// stack grows by copying as the request path deepens. A worker idle for
// workerIdle ends; at most maxIdleWorkers wait at once; Shutdown ends
// the idle ones. The number running is bounded by the streams the
// connections may run (MaxConcurrentStreams each, and the reset bound).
type workers struct {
	mu     sync.Mutex
	idle   []*worker
	closed bool
}

type worker struct{ ch chan *stream }

const (
	workerIdle     = 10 * time.Second
	maxIdleWorkers = 1024
)

// run runs st's handler on an idle worker or a new one.
func (p *workers) run(st *stream) {
	p.mu.Lock()
	if n := len(p.idle); n > 0 {
		w := p.idle[n-1]
		p.idle[n-1] = nil
		p.idle = p.idle[:n-1]
		p.mu.Unlock()
		w.ch <- st
		return
	}
	p.mu.Unlock()
	go p.loop(&worker{ch: make(chan *stream, 1)}, st)
}

func (p *workers) loop(w *worker, st *stream) {
	t := time.NewTimer(workerIdle)
	defer t.Stop()
	for {
		st.serve()
		st = nil
		if !p.park(w) {
			return
		}
		t.Reset(workerIdle)
		select {
		case st = <-w.ch:
		case <-t.C:
			if p.unpark(w) {
				return
			}
			st = <-w.ch // taken just as the timer fired
		}
		if st == nil {
			return // Shutdown
		}
	}
}

// park puts w on the idle list; false if it should end instead.
func (p *workers) park(w *worker) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed || len(p.idle) >= maxIdleWorkers {
		return false
	}
	p.idle = append(p.idle, w)
	return true
}

// unpark takes an idle w off the list; false if a stream took it first.
func (p *workers) unpark(w *worker) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, x := range p.idle {
		if x == w {
			p.idle = append(p.idle[:i], p.idle[i+1:]...)
			return true
		}
	}
	return false
}

// close ends the idle workers; busy ones end when their stream is done.
func (p *workers) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	for _, w := range p.idle {
		w.ch <- nil
	}
	p.idle = nil
}
