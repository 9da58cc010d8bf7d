package metrics

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/premier-gateway/premier/ui/source"
)

// t0 is a fixed clock for the metrics tests: slot boundaries are exact.
var t0 = time.Unix(1_800_000_000, 0)

func obs(route string, status int, d, up time.Duration, at time.Time) *Observation {
	return &Observation{Route: route, Method: []byte("GET"), Path: []byte("/p"), Status: status,
		Start: at, Duration: d, Upstream: up, Source: SourceBackend, Backend: "http://b"}
}

func TestBucketOf(t *testing.T) {
	for _, c := range []struct {
		d    time.Duration
		want int
	}{{0, 0}, {25 * time.Microsecond, 0}, {26 * time.Microsecond, 1}, {time.Millisecond, 10},
		{time.Millisecond + 1, 11}, {60 * time.Second, len(bucketBounds) - 1}, {time.Hour, len(bucketBounds)}} {
		if got := bucketOf(c.d); got != c.want {
			t.Errorf("bucketOf(%v) = %d, want %d", c.d, got, c.want)
		}
	}
	if len(promBounds) != 19 {
		t.Errorf("promBounds has %d entries, want 19", len(promBounds))
	}
}

func TestPercentile(t *testing.T) {
	var h [numBuckets]uint64
	if percentile(&h, 0.5) != 0 {
		t.Fatal("empty histogram")
	}
	for i := 1; i <= 100; i++ { // 1ms .. 100ms
		h[bucketOf(time.Duration(i)*time.Millisecond)]++
	}
	for _, c := range []struct {
		q      float64
		lo, hi time.Duration
	}{{0.5, 40 * time.Millisecond, 60 * time.Millisecond}, {0.99, 75 * time.Millisecond, 100 * time.Millisecond}} {
		if p := percentile(&h, c.q); p < c.lo || p > c.hi {
			t.Errorf("p%v = %v, want in [%v, %v]", c.q*100, p, c.lo, c.hi)
		}
	}
}

func TestRouteSnapshot(t *testing.T) {
	var m Collector
	now := t0.Add(5 * time.Second) // half-way into a 10 s slot
	for i := 0; i < 40; i++ {
		m.Observe(obs("/api/*", 200, 2*time.Millisecond, 1500*time.Microsecond, t0.Add(-5*time.Second)))
	}
	for i := 0; i < 10; i++ {
		m.Observe(obs("/api/*", 503, 20*time.Millisecond, 0, now))
	}
	o := obs("/api/*", 429, time.Millisecond, 0, now)
	o.Limit, o.LimitKey = LimitRejected, []byte("10.0.0.1")
	m.Observe(o)
	o = obs("/api/*", 200, time.Millisecond, 0, now)
	o.Cache = CacheHit
	m.Observe(o)

	r := m.lookup("/api/*").snapshot(now)
	if r.Requests != 52 || r.Status[2] != 41 || r.Status[4] != 1 || r.Status[5] != 10 {
		t.Fatalf("counts: %+v", r)
	}
	// current slot 12 requests, previous 40 weighted by half: (12 + 20) / 10.
	if r.RPS != 3.2 {
		t.Errorf("rps = %v, want 3.2", r.RPS)
	}
	if r.P50 < 1.5 || r.P50 > 3 || r.P99 < 15 || r.P99 > 20 {
		t.Errorf("percentiles p50 %v p99 %v", r.P50, r.P99)
	}
	if r.UpstreamMs != 1.5 || r.OverheadMs != 0.5 {
		t.Errorf("upstream %v overhead %v, want 1.5 and 0.5", r.UpstreamMs, r.OverheadMs)
	}
	if r.Cache.Hits != 1 || r.Limit.Limited != 1 || len(r.Limit.Top) != 1 || r.Limit.Top[0].Key != "10.0.0.1" {
		t.Errorf("cache/limit: %+v %+v", r.Cache, r.Limit)
	}

	d := m.lookup("/api/*").detail(now)
	if len(d.Slots) != routeSlots || d.SlotSeconds != 10 {
		t.Fatalf("detail has %d slots", len(d.Slots))
	}
	last, prev := d.Slots[len(d.Slots)-1], d.Slots[len(d.Slots)-2]
	if last.Requests != 12 || last.Errors != 10 || prev.Requests != 40 {
		t.Errorf("slots: last %+v prev %+v", last, prev)
	}
	var heat uint64
	for _, n := range prev.Heat {
		heat += n
	}
	if heat != 40 || prev.Heat[4] != 40 { // 2 ms → band "≤ 2 ms"
		t.Errorf("heat %v", prev.Heat)
	}
	// 15 minutes later the old slots are gone.
	if d := m.lookup("/api/*").detail(now.Add(16 * time.Minute)); d.Slots[len(d.Slots)-1].Requests != 0 {
		t.Error("old slot still reported")
	}
}

func TestOverviewHourChange(t *testing.T) {
	var m Collector
	now := t0
	for i := 0; i < 100; i++ {
		m.Observe(obs("a", 200, time.Millisecond, 0, now.Add(-61*time.Minute)))
	}
	for i := 0; i < 10; i++ {
		m.Observe(obs("a", 500, 10*time.Millisecond, 0, now.Add(-61*time.Minute)))
	}
	for i := 0; i < 50; i++ {
		m.Observe(obs("a", 200, time.Millisecond, 0, now.Add(-time.Minute)))
	}
	r := m.lookup("a").snapshot(now)
	o := m.Overview(now, []source.Route{r})
	if o.Requests != 160 {
		t.Errorf("requests %d", o.Requests)
	}
	if o.ErrorRate.Value != 0 || o.ErrorRate.HourAgo == nil || *o.ErrorRate.HourAgo != 10.0/110 {
		t.Errorf("error rate %+v", o.ErrorRate)
	}
	if o.RPS.HourAgo == nil || *o.RPS.HourAgo != 110.0/300 {
		t.Errorf("rps hour ago %+v", o.RPS)
	}
	if o.P99.Value > 1 || *o.P99.HourAgo < 5 {
		t.Errorf("p99 %v, hour ago %v", o.P99.Value, *o.P99.HourAgo)
	}
	if o := m.Overview(now.Add(-30*time.Minute), nil); o.ErrorRate.HourAgo != nil {
		t.Error("hour-ago value without traffic then")
	}
}

func TestRecentRing(t *testing.T) {
	var m Collector
	for i := 0; i < RecentSize+10; i++ {
		o := obs("r", 200+i%2*300, time.Millisecond, 0, t0)
		if i%2 == 1 {
			o.Route = "s"
		}
		o.Path = []byte(fmt.Sprintf("/p/%d", i))
		m.Observe(o)
	}
	all, total := m.recent.snapshot(source.RecentFilter{Limit: 10})
	if total != RecentSize || len(all) != 10 || all[0].Path != fmt.Sprintf("/p/%d", RecentSize+9) {
		t.Fatalf("total %d, first %+v", total, all[0])
	}
	page, total := m.recent.snapshot(source.RecentFilter{Route: "s", StatusClass: 5, Offset: 5, Limit: 5})
	if total != RecentSize/2 || len(page) != 5 || page[0].Route != "s" || page[0].Status != 500 {
		t.Fatalf("filtered: total %d %+v", total, page)
	}
	if page[0].Path != fmt.Sprintf("/p/%d", RecentSize+9-10) {
		t.Errorf("offset: %s", page[0].Path)
	}
	long := obs("r", 200, 0, 0, t0)
	long.Path = bytes.Repeat([]byte("x"), 500)
	long.Method = []byte("VERYLONGMETHODNAME")
	m.Observe(long)
	got, _ := m.recent.snapshot(source.RecentFilter{Limit: 1})
	if len(got[0].Path) != recentPathLen+len("…") || !strings.HasSuffix(got[0].Path, "…") || got[0].Method != "VERYLONGMETH" {
		t.Errorf("cut: %q %q", got[0].Path, got[0].Method)
	}
}

// TestRecentSource: the recent ring names who answered from the typed
// source: the backend URL, "app", "cache", or nobody.
func TestRecentSource(t *testing.T) {
	var m Collector
	for _, c := range []struct {
		src  Source
		want string
	}{{SourceBackend, "http://b"}, {SourceApp, "app"}, {SourceCache, "cache"}, {SourceNone, ""}} {
		o := obs("r", 200, 0, 0, t0)
		o.Source = c.src
		if got := o.BackendName(); got != c.want {
			t.Errorf("source %d: BackendName %q, want %q", c.src, got, c.want)
		}
		m.Observe(o)
		if got, _ := m.Recent(source.RecentFilter{Limit: 1}); got[0].Backend != c.want {
			t.Errorf("source %d: recent backend %q, want %q", c.src, got[0].Backend, c.want)
		}
	}
}

func TestTopKeysBounded(t *testing.T) {
	var k topKeys
	for i := 0; i < 1000; i++ {
		k.add([]byte("hot"))
		k.add([]byte(fmt.Sprintf("cold-%d", i)))
	}
	top := k.snapshot()
	if len(top) != topKeysSize || top[0].Key != "hot" || top[0].Count != 1000 {
		t.Fatalf("top %+v", top[:2])
	}
}

// A long key is kept cut, marked with "…", and counted apart from the key
// that is exactly its kept prefix.
func TestTopKeysCutLongKeys(t *testing.T) {
	var k topKeys
	long := []byte(strings.Repeat("u", 8<<10))
	for range 3 {
		k.add(long)
	}
	k.add(long[:recentKeyLen])
	top := k.snapshot()
	want := strings.Repeat("u", recentKeyLen)
	if len(top) != 2 || top[0].Key != want+"…" || top[0].Count != 3 || top[1].Key != want || top[1].Count != 1 {
		t.Fatalf("top %+v", top)
	}
}

func TestRoutesBounded(t *testing.T) {
	var m Collector
	for i := 0; i < maxRoutes+20; i++ {
		m.Observe(obs(fmt.Sprintf("/r%d", i), 200, 0, 0, t0))
	}
	if n := len(m.all()); n != maxRoutes+1 {
		t.Fatalf("%d routes kept, want %d plus other", n, maxRoutes)
	}
	if m.overflo.name != "other" {
		t.Fatal("no overflow route")
	}
}

func TestStatusAndMethodSlots(t *testing.T) {
	for _, c := range []struct {
		status int
		label  string
		class  int
	}{{200, "200", 2}, {299, "2xx", 2}, {418, "4xx", 4}, {503, "503", 5}, {99, "other", 0}, {700, "other", 0}, {-1, "other", 0}} {
		s := codeSlot(c.status)
		if codeLabels[s] != c.label || codeClass[s] != c.class {
			t.Errorf("status %d → %q class %d", c.status, codeLabels[s], codeClass[s])
		}
	}
	if methodNames[methodSlot([]byte("PATCH"))] != "PATCH" || methodNames[methodSlot([]byte("BREW"))] != "other" {
		t.Error("method slots")
	}
}

// TestObserveConcurrent runs writers and readers together (for -race).
func TestObserveConcurrent(t *testing.T) {
	var m Collector
	var wg, readers sync.WaitGroup
	stop := make(chan struct{})
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			o := obs(fmt.Sprintf("/r%d", w%2), 200, time.Millisecond, 0, t0)
			o.Limit, o.LimitKey = LimitRejected, []byte("k")
			for i := 0; i < 2000; i++ {
				o.Start = t0.Add(time.Duration(i) * 10 * time.Millisecond)
				m.Observe(o)
			}
		}(w)
	}
	readers.Add(1)
	go func() {
		defer readers.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			for _, r := range m.all() {
				r.snapshot(t0.Add(10 * time.Second))
				r.detail(t0.Add(10 * time.Second))
			}
			m.recent.snapshot(source.RecentFilter{Limit: 100})
			m.Overview(t0, nil)
		}
	}()
	wg.Wait()
	close(stop)
	readers.Wait()
	var total uint64
	for _, r := range m.all() {
		total += r.snapshot(t0).Requests
	}
	if total != 8000 {
		t.Fatalf("cumulative counters lost updates: %d", total)
	}
}

// TestRecentRewritten: the path a rewrite sent to the backend is kept
// next to the request's own, cut like it.
func TestRecentRewritten(t *testing.T) {
	var m Collector
	o := obs("r", 200, 0, 0, t0)
	o.Path, o.Rewritten = []byte("/api/x"), []byte("/x")
	m.Observe(o)
	plain := obs("r", 200, 0, 0, t0)
	plain.Path = []byte("/y")
	m.Observe(plain)
	long := obs("r", 200, 0, 0, t0)
	long.Rewritten = bytes.Repeat([]byte("z"), 300)
	m.Observe(long)
	got, _ := m.recent.snapshot(source.RecentFilter{Limit: 3})
	if got[2].Path != "/api/x" || got[2].Rewritten != "/x" || got[1].Rewritten != "" ||
		len(got[0].Rewritten) != recentPathLen+len("…") {
		t.Fatalf("%+v", got)
	}
}
