package metrics

import (
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/premier-gateway/premier/ui/source"
)

// RecentSize is how many finished requests the ring keeps (a power of two).
const RecentSize = 1024

// Fixed sizes of the copied request fields; longer values are cut.
const (
	recentMethodLen = 12
	recentPathLen   = 160
	recentKeyLen    = 64
	recentIDLen     = 64 // the gateway's bound on request IDs
)

// recentRing keeps the last RecentSize requests as fixed-size copies.
// Writers take the next position atomically and lock only their own slot.
type recentRing struct {
	pos   atomic.Uint64
	slots [RecentSize]recentSlot
}

type recentSlot struct {
	mu       sync.Mutex
	seq      uint64 // position+1 of the request held; 0: empty
	start    int64  // unix nanoseconds
	duration time.Duration
	upstream time.Duration
	status   int32
	cache    CacheOutcome
	limit    LimitOutcome
	source   Source
	mlen     uint8
	plen     uint8
	klen     uint8
	idlen    uint8
	rlen     uint8 // rewritten path length; 0: no rewrite
	cut      bool  // path longer than recentPathLen
	rcut     bool  // rewritten path longer than recentPathLen
	kcut     bool  // limit key longer than recentKeyLen
	route    string
	backend  string
	consumer string // owned by the compiled config, so keeping it copies nothing
	auth     AuthOutcome
	method   [recentMethodLen]byte
	path     [recentPathLen]byte
	rpath    [recentPathLen]byte // the path the rewrite sent to the backend
	key      [recentKeyLen]byte
	id       [recentIDLen]byte
}

func (r *recentRing) add(o *Observation) {
	n := r.pos.Add(1)
	s := &r.slots[(n-1)%RecentSize]
	s.mu.Lock()
	s.seq = n
	s.start = o.Start.UnixNano()
	s.duration, s.upstream = o.Duration, o.Upstream
	s.status = int32(o.Status)
	s.cache, s.limit = o.Cache, o.Limit
	s.route, s.backend, s.source = o.Route, o.Backend, o.Source
	s.consumer, s.auth = o.Consumer, o.Auth
	s.mlen = uint8(copy(s.method[:], o.Method))
	s.plen = uint8(copy(s.path[:], o.Path))
	s.cut = len(o.Path) > recentPathLen
	s.rlen = uint8(copy(s.rpath[:], o.Rewritten))
	s.rcut = len(o.Rewritten) > recentPathLen
	s.klen = uint8(copy(s.key[:], o.LimitKey))
	s.kcut = len(o.LimitKey) > recentKeyLen
	s.idlen = uint8(copy(s.id[:], o.RequestID))
	s.mu.Unlock()
}

// Recent returns the kept requests matching f, newest first, and how many
// of them match in all.
func (m *Collector) Recent(f source.RecentFilter) (out []source.Request, total int) {
	return m.recent.snapshot(f)
}

// snapshot returns the matching requests, newest first, and how many of
// the kept requests match in all.
func (r *recentRing) snapshot(f source.RecentFilter) (out []source.Request, total int) {
	if f.Limit <= 0 {
		f.Limit = 50
	}
	f.Limit = min(f.Limit, RecentSize)
	end := r.pos.Load()
	for n := end; n > 0 && end-n < RecentSize; n-- {
		s := &r.slots[(n-1)%RecentSize]
		s.mu.Lock()
		if s.seq != n || !recentMatches(&f, s) {
			s.mu.Unlock()
			continue
		}
		total++
		if total <= f.Offset || len(out) >= f.Limit {
			s.mu.Unlock()
			continue
		}
		q := source.Request{
			Time: time.Unix(0, s.start), Method: string(s.method[:s.mlen]),
			Path: string(s.path[:s.plen]), Route: s.route, Status: int(s.status),
			DurationMs: millis(s.duration), UpstreamMs: millis(s.upstream), Backend: s.source.name(s.backend),
			Cache: cacheNames[s.cache&3], Limit: limitNames[s.limit&3], LimitKey: string(s.key[:s.klen]),
			Consumer: s.consumer, RequestID: string(s.id[:s.idlen]),
		}
		if s.auth > AuthAdmitted {
			q.Auth = authNames[s.auth&7]
		}
		if s.cut {
			q.Path += "…"
		}
		if s.rlen > 0 {
			q.Rewritten = string(s.rpath[:s.rlen])
			if s.rcut {
				q.Rewritten += "…"
			}
		}
		if s.kcut {
			q.LimitKey += "…"
		}
		s.mu.Unlock()
		out = append(out, q)
	}
	return out, total
}

func recentMatches(f *source.RecentFilter, s *recentSlot) bool {
	if f.Route != "" && f.Route != s.route {
		return false
	}
	if f.Status != 0 && int(s.status) != f.Status {
		return false
	}
	if f.StatusClass != 0 && int(s.status)/100 != f.StatusClass {
		return false
	}
	if f.RequestID != "" && !strings.Contains(string(s.id[:s.idlen]), f.RequestID) {
		return false
	}
	return true
}

var (
	cacheNames = [4]string{"", "hit", "miss", "bypass"}
	limitNames = [4]string{"", "allowed", "delayed", "limited"}
)

func millis(d time.Duration) float64 { return float64(d) / 1e6 }
