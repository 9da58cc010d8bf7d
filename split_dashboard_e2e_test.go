package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/valyala/fasthttp"
)

// TestSplitSharesInChromium: the route detail of a split rule shows each
// group's weight and the share of requests it got, in a real browser.
func TestSplitSharesInChromium(t *testing.T) {
	chromium := chromiumPath(t)
	v1 := backend(t, func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString("v1") })
	v2 := backend(t, func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString("v2") })
	base, _ := serveDashboardGateway(t, fmt.Sprintf(`premier:
  paths:
    - pattern: "/api/*"
      features:
        split:
          - {weight: 90, servers: [%q]}
          - {weight: 10, servers: [%q]}
`, v1, v2))
	for i := 0; i < 100; i++ {
		if code, _, err := fasthttp.Get(nil, base+"/api/x"); err != nil || code != 200 {
			t.Fatalf("request %d: %d %v", i, code, err)
		}
	}
	ctx := startChromium(t, chromium)
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	poll := func(js string) chromedp.Action[chromedp.Void] {
		return chromedp.Poll[chromedp.Void](js, chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(15*time.Second))
	}
	if err := chromedp.Do(sctx, chromedp.Navigate(base+"/__premier/"), chromedp.WaitVisible(chromedp.CSS(`#conn.on`)),
		chromedp.Click(chromedp.CSS(`[data-tab=routes]`)),
		poll(`(() => { const tr = Array.from(document.querySelectorAll('#routes-table tbody tr.clickable')).find(r => r.querySelector('code').textContent === '/api/*'); if (!tr) return false; tr.click(); return true; })()`),
		poll(`!!document.querySelector('#rd-split') && !document.querySelector('#rd-split').hidden && document.querySelector('#rd-split').textContent.includes('group 1')`)); err != nil {
		t.Fatal(err)
	}
	got, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('#rd-split').textContent`))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Traffic split", "group 0 (weight 90.0%): " + v1, "90 (90.0%)", "group 1 (weight 10.0%): " + v2, "10 (10.0%)"} {
		if !strings.Contains(got, want) {
			t.Fatalf("split box %q lacks %q", got, want)
		}
	}
	if os.Getenv("PREMIER_SCREENSHOT") != "" {
		shot(t, ctx, filepath.Join(os.Getenv("PREMIER_SCREENSHOT"), "route-split.png"))
	}
}
