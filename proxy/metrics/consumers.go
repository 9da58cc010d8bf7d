package metrics

import (
	"cmp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/premier-gateway/premier/ui/source"
)

// MaxConsumers bounds the consumers counted one by one; later names (a
// config with more keys or users, or many reloads renaming them) count
// under "other". Names come from the config, never from a request, so the
// table only grows with what operators write.
const MaxConsumers = 1024

// consumerTable counts requests per admitted consumer. Lookups are
// lock-free reads of a copy-on-write map; only a consumer's first request
// takes the mutex (and allocates the next map).
type consumerTable struct {
	m     atomic.Pointer[map[string]*consumerMetrics]
	mu    sync.Mutex
	other consumerMetrics
}

type consumerMetrics struct {
	name     string
	requests atomic.Uint64
	limited  atomic.Uint64 // refused by a rate limit
	errors   atomic.Uint64 // 5xx
}

func (t *consumerTable) record(o *Observation) {
	c := t.get(o.Consumer)
	c.requests.Add(1)
	if o.Limit == LimitRejected {
		c.limited.Add(1)
	}
	if o.Status >= 500 {
		c.errors.Add(1)
	}
}

func (t *consumerTable) get(name string) *consumerMetrics {
	if p := t.m.Load(); p != nil {
		if c, ok := (*p)[name]; ok {
			return c
		}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	old := t.m.Load()
	n := 0
	if old != nil {
		if c, ok := (*old)[name]; ok {
			return c
		}
		n = len(*old)
	}
	if n >= MaxConsumers {
		t.other.name = "other"
		return &t.other
	}
	next := make(map[string]*consumerMetrics, n+1)
	if old != nil {
		for k, v := range *old {
			next[k] = v
		}
	}
	c := &consumerMetrics{name: name}
	next[name] = c
	t.m.Store(&next)
	return c
}

// Consumers returns the per-consumer counts, most requests first.
func (m *Collector) Consumers() []source.Consumer {
	out := []source.Consumer{}
	add := func(c *consumerMetrics) {
		out = append(out, source.Consumer{Consumer: c.name, Requests: c.requests.Load(),
			Limited: c.limited.Load(), Errors: c.errors.Load()})
	}
	if p := m.consumers.m.Load(); p != nil {
		for _, c := range *p {
			add(c)
		}
	}
	m.consumers.mu.Lock()
	other := m.consumers.other.name != ""
	m.consumers.mu.Unlock()
	if other {
		add(&m.consumers.other)
	}
	slices.SortFunc(out, func(a, b source.Consumer) int {
		if a.Requests != b.Requests {
			return cmp.Compare(b.Requests, a.Requests)
		}
		return strings.Compare(a.Consumer, b.Consumer)
	})
	return out
}
