package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/valyala/fasthttp"
)

// TestExplainFormInChromium: the dashboard's "Which rule?" form asks the
// running gateway and shows the rule, the rules skipped and why, and the
// keys, as `premier -explain` does.
func TestExplainFormInChromium(t *testing.T) {
	chromium := chromiumPath(t)
	be := backend(t, func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString("ok") })
	base, _ := serveDashboardGateway(t, fmt.Sprintf(`premier:
  servers: [%q]
  paths:
    - pattern: "/users/*"
      hosts: ["admin.example.com"]
    - pattern: "/users/{id}"
      methods: [GET]
      features:
        rate_limit: {quota: 10, duration: 60, key: "{client_ip}:{id}"}
`, be))
	ctx := startChromium(t, chromium)
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(sctx, chromedp.Navigate(base+"/__premier/#routes"), chromedp.WaitVisible(chromedp.CSS(`#conn.on`)),
		chromedp.WaitVisible(chromedp.CSS(`#explain-form`)),
		chromedp.SendKeys(chromedp.CSS(`#explain-form input[aria-label=URL]`), "https://api.example.com/users/42"),
		chromedp.SendKeys(chromedp.CSS(`#explain-form input[aria-label="client IP"]`), "192.0.2.7"),
		chromedp.Click(chromedp.CSS(`#explain-form button[type=submit]`)),
		chromedp.Poll[chromedp.Void](`document.querySelector('#explain-result').textContent.includes('rate-limit key')`,
			chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(15*time.Second))); err != nil {
		t.Fatal(err)
	}
	got, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('#explain-result').textContent`))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"rule 2: /users/{id}", "1 /users/*: host does not match", "rate-limit key 9:192.0.2.7:2:42"} {
		if !strings.Contains(got, want) {
			t.Fatalf("missing %q in %q", want, got)
		}
	}
}
