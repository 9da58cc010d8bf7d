package proxy

import (
	"log/slog"
	"sync"
	"time"
)

// failureLog logs a backend's failures at most once per interval, so a dead
// backend does not flood the log with one line per request.
type failureLog struct {
	log      *slog.Logger
	interval time.Duration
	mu       sync.Mutex
	last     map[string]time.Time
	dropped  map[string]int
}

// note logs err unless backend failed within the interval; the line
// names the request it failed (rid, rule) as every line about a request
// does.
func (f *failureLog) note(backend string, err error, rid []byte, rule string) {
	now := time.Now()
	f.mu.Lock()
	if f.last == nil {
		f.last, f.dropped = map[string]time.Time{}, map[string]int{}
	}
	if t, ok := f.last[backend]; ok && now.Sub(t) < f.interval {
		f.dropped[backend]++
		f.mu.Unlock()
		return
	}
	dropped := f.dropped[backend]
	f.last[backend], f.dropped[backend] = now, 0
	f.mu.Unlock()
	f.log.Warn("backend request failed", slog.String("backend", backend),
		slog.String("error", err.Error()), slog.Int("suppressed_since_last", dropped),
		slog.String("request_id", string(rid)), slog.String("rule", rule))
}
