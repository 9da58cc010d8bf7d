package metrics

import (
	"cmp"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/premier-gateway/premier/ui/source"
)

// Snapshot windows.
const (
	recentWindowSlots = 30 // 5 minutes of 10 s route slots (percentiles)
	overviewMinutes   = 5  // overview window, and the same an hour earlier
)

// all returns every route seen, in no particular order.
func (m *Collector) all() []*routeMetrics {
	p := m.routes.Load()
	if p == nil {
		return nil
	}
	out := make([]*routeMetrics, 0, len(*p)+1)
	for _, r := range *p {
		out = append(out, r)
	}
	if m.overflo.name != "" {
		out = append(out, &m.overflo)
	}
	return out
}

// Route returns the named route's numbers as of now, for the dashboard;
// false when the collector has not seen the route.
func (m *Collector) Route(name string, now time.Time) (source.Route, bool) {
	r := m.lookup(name)
	if r == nil {
		return source.Route{}, false
	}
	return r.snapshot(now), true
}

// RouteDetail returns the named route's last 15 minutes; false when the
// collector has not seen the route.
func (m *Collector) RouteDetail(name string, now time.Time) (source.RouteDetail, bool) {
	r := m.lookup(name)
	if r == nil {
		return source.RouteDetail{}, false
	}
	return r.detail(now), true
}

// lookup returns the named route's metrics, or nil.
func (m *Collector) lookup(name string) *routeMetrics {
	if p := m.routes.Load(); p != nil {
		return (*p)[name]
	}
	return nil
}

// snapshot returns the route's numbers as of now.
func (r *routeMetrics) snapshot(now time.Time) source.Route {
	s := source.Route{Route: r.name, WebSockets: r.websockets.Load()}
	for mi := range r.codes {
		for ci := range r.codes[mi] {
			n := r.codes[mi][ci].Load()
			s.Requests += n
			s.Status[codeClass[ci]] += n
		}
	}
	if n := r.upstreamN.Load(); n > 0 {
		s.UpstreamMs = float64(r.upstreamNs.Load()) / float64(n) / 1e6
		s.OverheadMs = float64(r.overheadNs.Load()) / float64(n) / 1e6
	}
	s.Cache = source.Cache{Hits: r.cache[CacheHit].Load(), Misses: r.cache[CacheMiss].Load(), Bypass: r.cache[CacheBypass].Load(),
		MissReasons: reasonCounts(r.missFwd[:numFwd], missFwdNames[:numFwd]), Fills: reasonCounts(r.missFill[:numFill], fillNames[:numFill]),
		Revalidations: reasonCounts(r.reval[1:numReval], revalNames[1:numReval])}
	s.Limit = source.Limit{Allowed: r.limit[LimitAllowed].Load(), Delayed: r.limit[LimitDelayed].Load(),
		Limited: r.limit[LimitRejected].Load(), Top: r.top.snapshot()}
	s.Auth = source.Auth{Admitted: r.auth[AuthAdmitted].Load(), Unauthorized: r.auth[AuthUnauthorized].Load(),
		Forbidden: r.auth[AuthForbidden].Load(), Throttled: r.auth[AuthThrottled].Load(), TopRefused: r.refused.snapshot()}

	sec := now.Unix()
	ep := sec / routeSlotSec
	cur := r.slotCount(ep)
	prev := r.slotCount(ep - 1)
	into := float64(now.UnixNano()-ep*routeSlotSec*1e9) / 1e9 // seconds into the current slot
	s.RPS = (float64(cur) + float64(prev)*(routeSlotSec-into)/routeSlotSec) / routeSlotSec

	var h [numBuckets]uint64
	for e := ep - recentWindowSlots + 1; e <= ep; e++ {
		r.slotHist(e, &h)
	}
	s.P50, s.P95, s.P99 = millis(percentile(&h, 0.50)), millis(percentile(&h, 0.95)), millis(percentile(&h, 0.99))
	return s
}

// reasonCounts lists the non-zero counters with their names, largest first
// (ties by name). It returns an empty, non-nil slice when all are zero.
func reasonCounts(c []atomic.Uint64, names []string) []source.ReasonCount {
	out := []source.ReasonCount{}
	for i := range c {
		if n := c[i].Load(); n > 0 {
			out = append(out, source.ReasonCount{Reason: names[i], Count: n})
		}
	}
	slices.SortFunc(out, func(a, b source.ReasonCount) int {
		if a.Count != b.Count {
			return cmp.Compare(b.Count, a.Count)
		}
		return strings.Compare(a.Reason, b.Reason)
	})
	return out
}

// slotCount is the requests of slot epoch ep (0 when the slot moved on).
func (r *routeMetrics) slotCount(ep int64) uint64 {
	if ep < 0 {
		return 0
	}
	s := &r.slots[ep%routeSlots]
	if s.epoch.Load() != ep {
		return 0
	}
	return s.count.Load()
}

// slotHist adds slot ep's histogram to h.
func (r *routeMetrics) slotHist(ep int64, h *[numBuckets]uint64) {
	if ep < 0 {
		return
	}
	s := &r.slots[ep%routeSlots]
	if s.epoch.Load() != ep {
		return
	}
	for i := range h {
		h[i] += s.hist[i].Load()
	}
}

// detail returns the route's last 15 minutes, oldest slot first.
func (r *routeMetrics) detail(now time.Time) source.RouteDetail {
	d := source.RouteDetail{Route: r.name, SlotSeconds: routeSlotSec, Slots: make([]source.RouteSlot, 0, routeSlots)}
	for _, b := range heatBandBounds {
		d.BandsMs = append(d.BandsMs, millis(b))
	}
	ep := now.Unix() / routeSlotSec
	for e := ep - routeSlots + 1; e <= ep; e++ {
		rs := source.RouteSlot{Time: time.Unix(e*routeSlotSec, 0).UTC(), Heat: make([]uint64, numHeatBands)}
		if e >= 0 {
			s := &r.slots[e%routeSlots]
			if s.epoch.Load() == e {
				var h [numBuckets]uint64
				for i := range h {
					h[i] = s.hist[i].Load()
					rs.Heat[heatBandOf(i)] += h[i]
				}
				rs.Requests, rs.Errors = s.count.Load(), s.errors.Load()
				rs.P50, rs.P95, rs.P99 = millis(percentile(&h, 0.50)), millis(percentile(&h, 0.95)), millis(percentile(&h, 0.99))
				if n := s.upstreamN.Load(); n > 0 {
					rs.UpstreamMs = float64(s.upstreamNs.Load()) / float64(n) / 1e6
					rs.OverheadMs = float64(s.overheadNs.Load()) / float64(n) / 1e6
				}
				if s.epoch.Load() != e { // reused while reading
					rs = source.RouteSlot{Time: rs.Time, Heat: make([]uint64, numHeatBands)}
				}
			}
		}
		d.Slots = append(d.Slots, rs)
	}
	return d
}

// minuteWindow sums the minute slots [from, to].
type minuteWindow struct {
	count, errors, hits, lookups, limited, refused uint64
	hist                                           [numBuckets]uint64
}

func (m *Collector) window(from, to int64) minuteWindow {
	var w minuteWindow
	for e := from; e <= to; e++ {
		if e < 0 {
			continue
		}
		s := &m.minutes[e%minuteSlots]
		if s.epoch.Load() != e {
			continue
		}
		w.count += s.count.Load()
		w.errors += s.errors.Load()
		w.hits += s.cacheHits.Load()
		w.lookups += s.cacheLookups.Load()
		w.limited += s.limited.Load()
		w.refused += s.refused.Load()
		for i := range w.hist {
			w.hist[i] += s.hist[i].Load()
		}
	}
	return w
}

// Overview sums the whole gateway; routes are the route snapshots.
func (m *Collector) Overview(now time.Time, routes []source.Route) source.Overview {
	var o source.Overview
	for _, r := range routes {
		o.Requests += r.Requests
		o.RPS.Value += r.RPS
	}
	nowMin := now.Unix() / 60
	cur := m.window(nowMin-overviewMinutes+1, nowMin)
	ago := m.window(nowMin-60-overviewMinutes+1, nowMin-60)
	stat := func(f func(w *minuteWindow) float64) source.Stat {
		s := source.Stat{Value: f(&cur)}
		if ago.count > 0 {
			v := f(&ago)
			s.HourAgo = &v
		}
		return s
	}
	if ago.count > 0 {
		v := float64(ago.count) / (overviewMinutes * 60)
		o.RPS.HourAgo = &v
	}
	o.ErrorRate = stat(func(w *minuteWindow) float64 { return safeRatio(w.errors, w.count) })
	o.P50 = stat(func(w *minuteWindow) float64 { return millis(percentile(&w.hist, 0.50)) })
	o.P95 = stat(func(w *minuteWindow) float64 { return millis(percentile(&w.hist, 0.95)) })
	o.P99 = stat(func(w *minuteWindow) float64 { return millis(percentile(&w.hist, 0.99)) })
	o.CacheHitRate = stat(func(w *minuteWindow) float64 { return safeRatio(w.hits, w.lookups) })
	o.Limited = stat(func(w *minuteWindow) float64 { return float64(w.limited) })
	o.Refused = stat(func(w *minuteWindow) float64 { return float64(w.refused) })
	return o
}

func safeRatio(a, b uint64) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}
