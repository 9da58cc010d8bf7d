package ui

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/premier-gateway/premier/ui/source"
)

// memSource is a small in-memory implementation of source.Source for the
// dashboard's own tests (the real one, proxy.DashboardSource, is tested
// in package proxy and end to end at the repo root). A text is invalid
// when a line contains "bogus": the problem is reported at its position.
type memSource struct {
	mu       sync.Mutex
	access   source.Access
	versions []source.Version
	texts    map[int]string
	cur      int
	recent   []source.Request
	lastF    source.RecentFilter
	purges   int
	seconds  []source.Second
}

func newMemSource(token string) *memSource {
	s := &memSource{access: source.Access{Enabled: true, Prefix: "/__premier", Token: token}, texts: map[int]string{}}
	s.record("premier:\n  servers: [\"http://127.0.0.1:9\"]\n", "start")
	return s
}

func (s *memSource) record(text, origin string) int {
	n := len(s.versions) + 1
	for i := range s.versions {
		s.versions[i].Current = false
	}
	s.versions = append(s.versions, source.Version{Version: n, AppliedAt: time.Unix(int64(n), 0), Origin: origin, Bytes: len(text), Current: true})
	s.texts[n], s.cur = text, n
	return n
}

func (s *memSource) Access() source.Access { s.mu.Lock(); defer s.mu.Unlock(); return s.access }

func (s *memSource) Config() source.Config {
	s.mu.Lock()
	defer s.mu.Unlock()
	return source.Config{File: "mem.yaml", Text: s.texts[s.cur], Version: s.cur}
}

func (s *memSource) Validate(text []byte) source.Validation {
	v := source.Validation{OK: true, Errors: []source.Problem{}, Diff: source.Diff{Same: string(text) == s.Config().Text}}
	for i, line := range strings.Split(string(text), "\n") {
		if c := strings.Index(line, "bogus"); c >= 0 {
			v.OK = false
			v.Errors = append(v.Errors, source.Problem{Line: i + 1, Col: c + 1, Message: "unknown key \"bogus\""})
		}
	}
	return v
}

func (s *memSource) Apply(text []byte, base int) (source.Validation, error) {
	v := s.Validate(text)
	if !v.OK {
		return v, source.ErrInvalid
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if base != 0 && base != s.cur {
		return v, source.ErrConflict
	}
	v.Version = s.record(string(text), "dashboard")
	return v, nil
}

func (s *memSource) Versions() []source.Version {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]source.Version, 0, len(s.versions))
	for i := len(s.versions) - 1; i >= 0; i-- {
		out = append(out, s.versions[i])
	}
	return out
}

func (s *memSource) Rollback(n int) (source.Validation, error) {
	s.mu.Lock()
	text, ok := s.texts[n]
	s.mu.Unlock()
	if !ok {
		return source.Validation{}, source.ErrNoVersion
	}
	return s.Apply([]byte(text), 0)
}

func (s *memSource) Snapshot() source.Snapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	return source.Snapshot{Time: time.Now(), Version: "test", ConfigVersion: s.cur,
		Overview: source.Overview{Requests: uint64(len(s.recent))},
		Routes:   []source.Route{{Route: "/api/*", Requests: uint64(len(s.recent))}},
		Backends: []source.Backend{{URL: "http://127.0.0.1:9", Healthy: true}},
		TLS: &source.TLS{Handshakes: []source.TLSHandshakes{{Version: "1.3", ALPN: "h1", Count: 7}},
			Failures:     []source.TLSFailures{{Reason: "not_tls", Count: 2}},
			Certificates: []source.TLSCertificate{{Name: "api.example.com", ExpiresIn: 86400}}},
		Seconds: s.seconds}
}

func (s *memSource) RouteDetail(route string) (source.RouteDetail, bool) {
	if route != "/api/*" {
		return source.RouteDetail{}, false
	}
	return source.RouteDetail{Route: route, SlotSeconds: 10, Slots: []source.RouteSlot{{Requests: 3}}}, true
}

func (s *memSource) Recent(f source.RecentFilter) source.RecentPage {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lastF = f
	return source.RecentPage{Total: len(s.recent), Kept: 1024, Requests: s.recent}
}

func (s *memSource) Purge(p source.Purge) (source.PurgeResult, error) {
	s.mu.Lock()
	s.purges++
	s.mu.Unlock()
	return source.PurgeResult{}, source.ErrCacheInactive
}

func (s *memSource) Explain(q source.ExplainQuery) (source.Explanation, error) {
	if q.URL == "" {
		return source.Explanation{}, errors.New("explain: want an absolute http:// or https:// URL")
	}
	return source.Explanation{Method: q.Method, URL: q.URL, Rule: 1, Pattern: "/api/*", Backends: []string{"http://127.0.0.1:9"}}, nil
}

func (s *memSource) WriteMetrics(w io.Writer) {
	fmt.Fprintf(w, "premier_requests_total{route=\"/api/*\",method=\"GET\",code=\"200\"} %d\n", len(s.recent))
}
