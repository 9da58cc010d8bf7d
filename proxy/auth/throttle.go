package auth

import (
	"sync"
	"time"
)

// failThrottle counts failed credential checks per client address in
// fixed windows. A client with limit failures in its current window is
// blocked until the window ends: its attempts are answered 429 without
// checking the credentials. The table holds at most max clients: at the
// cap, clients whose window is over are dropped first, then arbitrary
// ones (an attacker rotating addresses to evict its own entries gains
// nothing: each address starts over with limit tries, and verification
// stays bounded by the number of addresses it holds).
type failThrottle struct {
	mu     sync.Mutex
	m      map[string]*failCount
	max    int
	limit  int
	window int64
}

type failCount struct {
	start int64 // window start, unix nanoseconds
	n     int
}

func (t *failThrottle) init(maxClients, limit int, window time.Duration) {
	t.m = make(map[string]*failCount)
	t.max, t.limit, t.window = maxClients, limit, int64(window)
}

// blocked returns how long client must wait (nanoseconds), 0 if it may try.
func (t *failThrottle) blocked(client []byte, now int64) int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	f, ok := t.m[string(client)]
	if !ok || f.n < t.limit || now-f.start >= t.window {
		return 0
	}
	return f.start + t.window - now
}

// fail counts one failure of client.
func (t *failThrottle) fail(client []byte, now int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if f, ok := t.m[string(client)]; ok {
		if now-f.start >= t.window {
			f.start, f.n = now, 0
		}
		f.n++
		return
	}
	if len(t.m) >= t.max {
		for k, f := range t.m {
			if now-f.start >= t.window {
				delete(t.m, k)
			}
		}
		for k := range t.m {
			if len(t.m) < t.max {
				break
			}
			delete(t.m, k)
		}
	}
	t.m[string(client)] = &failCount{start: now, n: 1}
}
