package lb

import (
	"sync"
	"sync/atomic"
)

// Pipeliner is a backend's pipelined transport, made by its consumer (the
// proxy) when a rule enables pipelining; the backend closes it on retire.
type Pipeliner interface{ Close() }

// pipeline holds a backend's Pipeliner.
type pipeline struct {
	mu     sync.Mutex
	p      atomic.Pointer[Pipeliner]
	closed bool // guarded by mu: retired, no new transport
}

// EnablePipeline stores newPipe's transport on the first call; later calls
// keep it. It does nothing on a retired backend.
func (b *Backend) EnablePipeline(newPipe func() Pipeliner) {
	b.pipe.mu.Lock()
	defer b.pipe.mu.Unlock()
	if b.pipe.closed || b.pipe.p.Load() != nil {
		return
	}
	p := newPipe()
	b.pipe.p.Store(&p)
}

// Pipeline returns the transport EnablePipeline stored, or nil.
func (b *Backend) Pipeline() Pipeliner {
	if p := b.pipe.p.Load(); p != nil {
		return *p
	}
	return nil
}

// closePipeline closes the transport, if any; requests already using it
// fail over to the backend's ordinary pool.
func (b *Backend) closePipeline() {
	b.pipe.mu.Lock()
	b.pipe.closed = true
	p := b.pipe.p.Load()
	b.pipe.mu.Unlock()
	if p != nil {
		(*p).Close()
	}
}
