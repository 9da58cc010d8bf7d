package metrics

import (
	"testing"
	"time"
)

// TestHistoryWholeWindow: the per-second history covers the last five
// minutes of traffic however late it is read, with a clock given to it
// rather than waited for: a page opened after the traffic sees it all.
func TestHistoryWholeWindow(t *testing.T) {
	var m Collector
	start := t0.Add(-10 * time.Minute) // the gateway started long before
	// Ten minutes of traffic, second s getting s%7+1 requests, every
	// tenth of them a 503 and every second one refused by the gateway.
	for s := 0; s < 600; s++ {
		at := t0.Add(time.Duration(s-600) * time.Second)
		for i := 0; i <= s%7; i++ {
			o := obs("/a", 200, time.Duration(100+s)*time.Microsecond, 50*time.Microsecond, at)
			switch {
			case s%10 == 0 && i == 0:
				o.Status = 503
			case s%2 == 0 && i == 1:
				o.Status, o.Source, o.Limit = 429, SourceNone, LimitRejected
			}
			m.Observe(o)
		}
	}
	h := m.History(t0.Add(300*time.Millisecond), start)
	if len(h) != HistorySeconds {
		t.Fatalf("%d points, want %d", len(h), HistorySeconds)
	}
	for i, p := range h {
		s := 300 + i // second index in the loop above
		if want := t0.Add(time.Duration(s-600) * time.Second).UTC(); !p.Time.Equal(want) {
			t.Fatalf("point %d at %v, want %v", i, p.Time, want)
		}
		if p.Requests != uint64(s%7+1) {
			t.Fatalf("point %d: %d requests, want %d", i, p.Requests, s%7+1)
		}
		if wantErr := uint64(0); s%10 == 0 && p.Errors != 1 || s%10 != 0 && p.Errors != wantErr {
			t.Fatalf("point %d: %d errors", i, p.Errors)
		}
		wantRefused := uint64(0)
		if s%2 == 0 && s%7 >= 1 {
			wantRefused = 1
		}
		if p.Refused != wantRefused || p.Limited != wantRefused {
			t.Fatalf("point %d: refused %d limited %d, want %d", i, p.Refused, p.Limited, wantRefused)
		}
		if p.P95 <= 0 {
			t.Fatalf("point %d: p95 %v", i, p.P95)
		}
	}

	// A gateway that started 42 s ago has 42 points, the quiet ones zero.
	var fresh Collector
	fresh.Observe(obs("/a", 200, time.Millisecond, 0, t0.Add(-3*time.Second)))
	h = fresh.History(t0, t0.Add(-42*time.Second))
	if len(h) != 42 {
		t.Fatalf("%d points for 42 s of uptime", len(h))
	}
	if h[38].Requests != 0 || h[39].Requests != 1 || h[39].P95 == 0 || h[40].P95 != 0 {
		t.Fatalf("points around the one request: %+v", h[38:41])
	}
}
