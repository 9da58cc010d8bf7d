package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"math"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/valyala/fasthttp"

	"github.com/premier-gateway/premier/proxy"
	"github.com/premier-gateway/premier/proxy/config"
	"github.com/premier-gateway/premier/ui"
)

// chromiumPath finds Debian's chromium. Without it the test skips locally
// and fails under CI=true.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, p := range []string{os.Getenv("PREMIER_CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if p == "" {
			continue
		}
		if _, err := exec.LookPath(p); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium not installed (apt-get install -y chromium); the dashboard browser test must run in CI")
	}
	t.Skip("chromium not installed (apt-get install -y chromium)")
	return ""
}

// serveBackend answers every request with body on a real listener.
func serveBackend(t *testing.T, body string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &fasthttp.Server{Handler: func(ctx *fasthttp.RequestCtx) {
		p := string(ctx.Path())
		switch {
		case strings.HasPrefix(p, "/api/fail"):
			ctx.SetStatusCode(503)
		case strings.HasPrefix(p, "/cached/cookie"): // never stored: set-cookie
			ctx.Response.Header.Set("Set-Cookie", "s=1")
		case strings.HasPrefix(p, "/cached/private"): // never stored: private
			ctx.Response.Header.Set("Cache-Control", "private")
		}
		ctx.SetBodyString(body)
	}}
	go srv.Serve(ln) //nolint:errcheck
	t.Cleanup(func() { _ = srv.Shutdown() })
	return "http://" + ln.Addr().String()
}

// TestDashboardInChromium drives the real dashboard of a real gateway in
// headless Chromium: the page loads without console errors, its numbers
// move under load, a recorded XSS path stays text, a bad edit shows a
// positioned error, and Apply of a good edit, confirmed by typing the
// dashboard token, hot-reloads the gateway (the next request follows it)
// and rewrites the file; the typed token is kept nowhere in the page.
// e2eKeyHash is the SHA-256 of "e2e-key", the keyed rule's API key.
const e2eKeyHash = "a781b3e13d2b80957d1b925804148f666cc87adb35c1481686a9687f27f8d8a0"

func TestDashboardInChromium(t *testing.T) {
	chromium := chromiumPath(t)
	const token = "e2e-dashboard-token-51c8"
	a, b := serveBackend(t, "from-a"), serveBackend(t, "from-b")
	deadLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + deadLn.Addr().String() // refuses connections: passive health ejects it
	deadLn.Close()
	cfgText := "premier:\n" +
		"  servers: [\"" + a + "\"]\n" +
		"  dashboard: {token: \"" + token + "\"}\n" +
		"  paths:\n" +
		"    - pattern: \"/api/*\"\n" +
		"      features:\n" +
		"        timeout: {seconds: 5}\n" +
		"    - pattern: /switch\n" +
		"      features:\n" +
		"        monitoring: {log_threshold: 1}\n" +
		"    - pattern: \"/cached/*\"\n" +
		"      features:\n" +
		"        cache: {expire_s: 2}\n" +
		"    - pattern: \"/flaky/*\"\n" +
		"      servers: [\"" + dead + "\", \"" + a + "\"]\n" +
		"      features:\n" +
		"        retry: {max_attempts: 2, wait: 0}\n" +
		"    - pattern: \"/limited/*\"\n" +
		"      features:\n" +
		"        rate_limit: {quota: 5, duration: 60}\n" +
		"    - pattern: \"/keyed/*\"\n" +
		"      features:\n" +
		"        auth: {api_keys: {query: key, keys: [{name: e2e-app, sha256: \"" + e2eKeyHash + "\"}]}}\n"
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "gateway.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfgText), 0o644); err != nil {
		t.Fatal(err)
	}
	loaded, err := config.LoadFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	gw, err := proxy.New(loaded, proxy.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		t.Fatal(err)
	}
	dash := ui.New(gw.DashboardSource(cfgPath, 5), ui.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	gw.SetReservedHandler(dash.Handler)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	serveCtx, stopServing := context.WithCancel(context.Background())
	served := make(chan struct{})
	go func() { _ = gw.Serve(serveCtx, ln); close(served) }()
	base := "http://" + ln.Addr().String()
	t.Cleanup(func() {
		dash.Close()
		stopServing()
		<-served
		gw.Close()
	})

	// Load generator: traffic with some 5xx and cache misses of several
	// kinds until the test ends, its rate swinging slowly so the live
	// charts have a shape.
	client := &fasthttp.Client{MaxIdleConnDuration: time.Second}
	var sent atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	began := time.Now()
	for w := 0; w < 2; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; ; i++ {
				swing := 1 + math.Sin(time.Since(began).Seconds()/15)
				select {
				case <-stop:
					return
				case <-time.After(3*time.Millisecond + time.Duration(swing*3*float64(time.Millisecond))):
				}
				path := "/api/items/" + string(rune('a'+i%26))
				switch {
				case i%10 == 0:
					path = "/api/fail"
				case i%10 == 4:
					path = "/flaky/x" // retried past the dead backend until it is ejected
				case i%10 == 1 || i%10 == 2:
					path = "/cached/items/" + string(rune('a'+i%5)) // hits, then a miss when stale
				case i%10 == 3 && i%30 == 3:
					path = "/cached/cookie"
				case i%10 == 3 && i%60 == 33:
					path = "/cached/private"
				case i%20 == 5:
					path = "/keyed/x?key=e2e-key" // an authenticated consumer
				case i%20 == 15:
					path = "/keyed/x" // no key: 401
				case i%20 == 7:
					path = "/limited/x" // past its quota: 429
				}
				_, _, _ = client.Get(nil, base+path)
				sent.Add(1)
			}
		}(w)
	}
	t.Cleanup(func() { close(stop); wg.Wait(); client.CloseIdleConnections() })

	// An edit reloaded by SIGHUP before any page is open: the versions list
	// must show it at the time it took effect, not when a page first asked.
	cfgEdited := cfgText + "# edited with no page open\n"
	if err := os.WriteFile(cfgPath, []byte(cfgEdited), 0o644); err != nil {
		t.Fatal(err)
	}
	if !gw.ReloadLogged(cfgPath, "SIGHUP") {
		t.Fatal("SIGHUP reload refused")
	}
	editedAt := time.Now()

	// The page opens on traffic it did not watch: its live chart must show
	// those seconds from the gateway's history at once.
	time.Sleep(time.Until(began.Add(6 * time.Second)))
	ctx := startChromium(t, chromium)

	var mu sync.Mutex
	var consoleErrs, dialogs []string
	msgs := chromedp.Console(ctx)
	go func() {
		for m, err := range msgs {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.IsException() {
				mu.Lock()
				consoleErrs = append(consoleErrs, m.String())
				mu.Unlock()
			}
		}
	}()
	if err := chromedp.Listen(ctx, func(ev any) {
		if d, ok := ev.(*page.EventJavascriptDialogOpening); ok {
			mu.Lock()
			dialogs = append(dialogs, d.Message)
			mu.Unlock()
		}
	}); err != nil {
		t.Fatal(err)
	}

	step := func(name string, d time.Duration, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		sctx, cancel := context.WithTimeout(ctx, d)
		defer cancel()
		if err := chromedp.Do(sctx, steps...); err != nil {
			shot(t, ctx, filepath.Join(dir, "failed.png"))
			t.Fatalf("%s: %v", name, err)
		}
	}
	text := func(js string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Evaluate[string](js))
		if err != nil {
			t.Fatalf("%s: %v", js, err)
		}
		return s
	}
	poll := func(name, js string) {
		t.Helper()
		step(name, 20*time.Second, chromedp.Poll[chromedp.Void](js, chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(15*time.Second)))
	}

	// 1. The admin signs in; the page loads and goes live.
	step("load", 20*time.Second, chromedp.Navigate(base+"/__premier/login"), chromedp.WaitVisible(chromedp.CSS(`#token`)),
		chromedp.SendKeys(chromedp.CSS(`#token`), token), chromedp.Click(chromedp.CSS(`button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("#conn.on")))
	poll("first numbers", `document.querySelector('#ov-requests .value').textContent !== '–'`)
	// History lives in the gateway: the live chart's first draw has a point
	// for every second of traffic sent before the page opened.
	before := int(time.Since(began).Seconds()) - 2
	poll("history on first load", `+(document.querySelector('#chart-live').dataset.points || 0) >= `+strconv.Itoa(before))
	checkAxes(t, text)

	// 2. The numbers move while the load generator runs.
	first := text(`document.querySelector('#ov-requests .value').textContent`)
	poll("numbers move", `document.querySelector('#ov-requests .value').textContent !== `+jsString(first))
	poll("rps shows", `parseFloat(document.querySelector('#ov-rps .value').textContent) > 0`)
	poll("error rate shows", `parseFloat(document.querySelector('#ov-errors .value').textContent) > 0`)

	// 3. Route detail charts render.
	step("route detail", 20*time.Second, chromedp.Click(chromedp.CSS(`[data-tab=routes]`)),
		chromedp.WaitVisible(chromedp.CSS(`#routes-table tbody tr.clickable`)),
		chromedp.Click(chromedp.CSS(`#routes-table tbody tr.clickable`)))
	poll("route charts", `document.querySelectorAll('#route-detail canvas').length >= 4 && document.querySelector('#rd-name').textContent === '/api/*'`)
	// The heatmap's axis marks its bands' edges in time units, and its
	// legend gives the colours' counts.
	poll("heatmap axis", `(() => { const a = JSON.parse(document.querySelector('#chart-heat').dataset.axes || '[]')[1] || []; return a.includes('0') && a.includes('200 µs') && a.includes('1 ms') && a.includes('500 ms'); })()`)
	poll("heatmap legend", `document.querySelectorAll('#heat-legend .heat-swatch').length >= 1`)

	// A rule without a cache shows no cache panel; its 5xx share is shown
	// beside its status mix, as the overview's error rate counts them.
	poll("no cache panel", `document.querySelector('#rd-name').textContent === '/api/*' && document.querySelector('#rd-cache-panel').hidden`)
	poll("5xx share", `(() => { const tr = Array.from(document.querySelectorAll('#routes-table tbody tr.clickable')).find(r => r.querySelector('code').textContent === '/api/*'); return tr && /^[0-9.]+% 5xx$/.test(tr.querySelector('.mix-err').textContent); })()`)
	// An idle rule reads '–', not 0: /switch has had no request yet.
	if got := text(`(() => { const tr = Array.from(document.querySelectorAll('#routes-table tbody tr.clickable')).find(r => r.querySelector('code').textContent === '/switch'); return tr ? [1, 2, 3, 5].map(i => tr.children[i].textContent).join(' ') : 'no row'; })()`); got != "– – – –" {
		t.Fatalf("idle rule's row: %q", got)
	}
	// The rate-limited keys read as addresses, not as the limiter's
	// length-prefixed keys ("9:127.0.0.1").
	poll("limited route row", `(() => { const tr = Array.from(document.querySelectorAll('#routes-table tbody tr.clickable')).find(r => r.querySelector('code').textContent === '/limited/*'); if (!tr) return false; tr.click(); return true; })()`)
	poll("readable limited key", `document.querySelector('#rd-name').textContent === '/limited/*' && document.querySelector('#rd-topkeys li') && document.querySelector('#rd-topkeys li').firstChild.textContent === '127.0.0.1'`)
	// Refused requests are visible: the gateway's own 401s and 429s.
	poll("refused card", `parseInt(document.querySelector('#ov-refused .value').textContent.replace(/\D/g, '')) > 0`)
	// A malformed request, refused before any rule, has a row of its own.
	if resp := rawGet(t, ln.Addr().String(), "/a/%zz"); !strings.HasPrefix(resp, "HTTP/1.1 400") {
		t.Fatalf("malformed path answered %q", resp)
	}
	poll("gateway row", `Array.from(document.querySelectorAll('#routes-table tbody tr.clickable')).some(r => r.querySelector('code').textContent === 'gateway' && r.querySelector('.mix'))`)

	// 3b. A cached rule's misses are broken down by reason: why they missed
	// (fwd) and what became of the response (stored, or why not).
	poll("cached route row", `(() => { const tr = Array.from(document.querySelectorAll('#routes-table tbody tr.clickable')).find(r => r.querySelector('code').textContent === '/cached/*'); if (!tr) return false; tr.click(); return true; })()`)
	poll("miss reasons", `document.querySelector('#rd-name').textContent === '/cached/*' && !document.querySelector('#rd-cache-panel').hidden && document.querySelectorAll('#rd-cache .reason-name').length >= 2`)

	// 3c. The backends tab shows the dead backend ejected by passive health.
	step("backends tab", 10*time.Second, chromedp.Click(chromedp.CSS(`[data-tab=backends]`)))
	poll("ejected backend", `Array.from(document.querySelectorAll('#backends-table tbody tr')).some(tr => tr.querySelector('code').textContent === `+jsString(dead)+` && tr.textContent.includes('ejected'))`)

	// 3d. Auth: the keyed rule's 401s, the client it refused most, and the
	// consumer's own requests.
	step("routes tab again", 10*time.Second, chromedp.Click(chromedp.CSS(`[data-tab=routes]`)))
	poll("consumer row", `Array.from(document.querySelectorAll('#consumers-table tbody tr')).some(tr => tr.querySelector('code') && tr.querySelector('code').textContent === 'e2e-app' && parseInt(tr.children[1].textContent.replace(/\D/g, '')) > 0)`)
	poll("keyed route row", `(() => { const tr = Array.from(document.querySelectorAll('#routes-table tbody tr.clickable')).find(r => r.querySelector('code').textContent === '/keyed/*'); if (!tr || !/^[1-9]/.test(tr.children[12].textContent)) return false; tr.click(); return true; })()`)
	poll("refused clients", `document.querySelector('#rd-name').textContent === '/keyed/*' && document.querySelector('#rd-refused').textContent.includes('127.0.0.1')`)

	// 4. Recent requests show the XSS path as text, and filter by status.
	// A path that would run script if the page used it as HTML (no rule
	// matches it: it is recorded under "default", away from the load).
	if xss := rawGet(t, ln.Addr().String(), "/<svg/onload=alert(document.domain)>"); !strings.Contains(xss, "from-a") {
		t.Fatalf("xss request: %q", xss)
	}
	step("requests tab", 10*time.Second, chromedp.Click(chromedp.CSS(`[data-tab=requests]`)))
	poll("route filter", `(() => { const s = document.querySelector('#rq-route'); if (!Array.from(s.options).some(o => o.value === 'default')) return false; s.value = 'default'; s.dispatchEvent(new Event('change')); return true; })()`)
	poll("xss row", `Array.from(document.querySelectorAll('#requests-table td.path')).some(td => td.textContent.includes('<svg/onload=alert(document.domain)>'))`)
	if n := text(`String(document.querySelectorAll('#requests-table svg, #requests-table img').length)`); n != "0" {
		t.Fatalf("%s injected elements into the requests table", n)
	}
	step("filter", 10*time.Second, chromedp.Evaluate[chromedp.Void](`(() => { const s = document.querySelector('#rq-route'); s.value = ''; s.dispatchEvent(new Event('change')); })()`),
		chromedp.SendKeys(chromedp.CSS(`#rq-status`), "5xx"))
	poll("filtered", `(() => { const s = Array.from(document.querySelectorAll('#requests-table td.num .st')).map(e => e.textContent); return s.length > 0 && s.every(x => x === '503'); })()`)
	// The gateway's own answers are marked as such: a 429 of the limit.
	step("filter 429", 10*time.Second, chromedp.Evaluate[chromedp.Void](`(() => { const s = document.querySelector('#rq-status'); s.value = '429'; s.dispatchEvent(new Event('input')); })()`))
	poll("refused by the gateway", `(() => { const rows = Array.from(document.querySelectorAll('#requests-table tbody tr')).filter(r => r.querySelector('.st')); return rows.length > 0 && rows.every(r => r.querySelector('.st').textContent === '429' && r.querySelector('.tag.gateway')); })()`)
	step("clear filter", 10*time.Second, chromedp.Evaluate[chromedp.Void](`(() => { const s = document.querySelector('#rq-status'); s.value = ''; s.dispatchEvent(new Event('input')); })()`))

	// Screenshots of the dashboard under load (README): with
	// PREMIER_SCREENSHOT=DIR, after PREMIER_SCREENSHOT_WAIT (default 300 s,
	// the live chart's width) of load, into DIR/dashboard.png and
	// DIR/route-detail.png (and DIR/config-editor.png below); otherwise at
	// once, into the test's directory.
	shotDir := os.Getenv("PREMIER_SCREENSHOT")
	if shotDir == "" {
		shotDir = dir
	} else {
		wait := 300 * time.Second
		if v, err := time.ParseDuration(os.Getenv("PREMIER_SCREENSHOT_WAIT")); err == nil {
			wait = v
		}
		if left := wait - time.Since(began); left > 0 {
			t.Logf("screenshots in %v (PREMIER_SCREENSHOT_WAIT)", left.Round(time.Second))
			time.Sleep(left)
		}
		step("route detail shot", 10*time.Second, chromedp.Click(chromedp.CSS(`[data-tab=routes]`)), chromedp.Sleep(1500*time.Millisecond))
		shot(t, ctx, filepath.Join(shotDir, "route-detail.png"))
	}
	step("overview", 10*time.Second, chromedp.Click(chromedp.CSS(`[data-tab=overview]`)), chromedp.Sleep(1500*time.Millisecond))
	shot(t, ctx, filepath.Join(shotDir, "dashboard.png"))

	// 5. A bad edit shows a positioned error from the -check validator.
	step("config tab", 10*time.Second, chromedp.Click(chromedp.CSS(`[data-tab=config]`)))
	poll("editor loaded", `document.querySelector('#editor').value.includes('/switch')`)
	poll("versions before the apply", `document.querySelectorAll('#versions-table tbody tr').length === 2`)
	sighup := text(`(() => { const tr = Array.from(document.querySelectorAll('#versions-table tbody tr')).find(r => r.children[2].textContent === 'SIGHUP'); return tr ? tr.children[1].dataset.time : ''; })()`)
	if at, err := time.Parse(time.RFC3339Nano, sighup); err != nil || at.Sub(editedAt).Abs() > time.Second {
		t.Fatalf("the SIGHUP version is stamped %q, it took effect at %v", sighup, editedAt)
	}
	bad := strings.Replace(cfgText, "        monitoring: {log_threshold: 1}\n", "        monitoring: {log_threshold: 1}\n       bogus: [\n", 1)
	setEditor(t, ctx, bad)
	poll("bad yaml flagged", `document.querySelector('#editor-status').classList.contains('bad')`)
	pos := text(`document.querySelector('#editor-errors li .pos').textContent`)
	if !regexp.MustCompile(`^\d+:\d+$`).MatchString(pos) || pos == "0:0" {
		t.Fatalf("error position %q, want line:col", pos)
	}
	if text(`String(document.querySelector('#apply').disabled)`) != "true" {
		t.Fatal("Apply is enabled for an invalid config")
	}
	if text(`String(document.querySelectorAll('#gutter .err').length > 0)`) != "true" {
		t.Fatal("error line not marked in the gutter")
	}
	step("bad edit screenshot", 5*time.Second, chromedp.Sleep(200*time.Millisecond))
	shot(t, ctx, filepath.Join(shotDir, "config-editor.png"))

	// 6. A good edit: /switch moves to backend b. Apply hot-reloads it.
	good := strings.Replace(cfgText, "    - pattern: /switch\n", "    - pattern: /switch\n      servers: [\""+b+"\"]\n", 1)
	setEditor(t, ctx, good)
	poll("good yaml", `document.querySelector('#editor-status').classList.contains('ok') && !document.querySelector('#apply').disabled`)
	if d := text(`document.querySelector('#diff-summary').textContent`); !strings.Contains(d, "rules changed: /switch") {
		t.Fatalf("diff summary %q", d)
	}
	if got := getBody(t, client, base+"/switch"); got != "from-a" {
		t.Fatalf("before apply /switch answered %q", got)
	}
	// Apply asks for the token; a wrong one is refused and changes nothing.
	confirm := func(name, typed string) {
		t.Helper()
		step(name, 10*time.Second, chromedp.Click(chromedp.CSS(`#apply`)), chromedp.WaitVisible(chromedp.CSS(`#confirm-token`)),
			chromedp.SendKeys(chromedp.CSS(`#confirm-token`), typed))
		poll(name+": typed", `document.querySelector('#confirm-token').value === `+strconv.Quote(typed))
		step(name+": confirm", 10*time.Second, chromedp.Click(chromedp.CSS(`#confirm-ok`)))
	}
	confirm("apply, wrong token", "not-the-token")
	poll("wrong token refused", `document.querySelector('#apply-result').textContent === 'wrong token' && !document.querySelector('#confirm').open && !document.querySelector('#apply').disabled`)
	if got := getBody(t, client, base+"/switch"); got != "from-a" {
		t.Fatalf("a wrong token applied the edit: /switch answered %q", got)
	}
	confirm("apply", token)
	poll("applied", `document.querySelector('#apply-result').textContent.startsWith('Applied version')`)
	// The typed token went with that one call: no storage, no readable
	// cookie, not left in the dialog's input.
	if kept := text(`JSON.stringify([localStorage.length, sessionStorage.length, document.cookie, document.querySelector('#confirm-token').value])`); kept != `[0,0,"",""]` {
		t.Fatalf("the page kept something after the apply: %s", kept)
	}
	if got := getBody(t, client, base+"/switch"); got != "from-b" {
		t.Fatalf("after apply /switch answered %q, want the new backend", got)
	}
	disk, err := os.ReadFile(cfgPath)
	if err != nil || string(disk) != good {
		t.Fatalf("config file not rewritten: %v\n%s", err, disk)
	}
	if prev, _ := os.ReadFile(config.BackupPath(cfgPath)); string(prev) != cfgEdited {
		t.Fatal("previous config not kept")
	}
	poll("versions listed", `document.querySelectorAll('#versions-table tbody tr').length === 3`)

	mu.Lock()
	defer mu.Unlock()
	if len(dialogs) > 0 {
		t.Fatalf("the page opened dialogs (script injection?): %q", dialogs)
	}
	// The browser logs the one 401 of the wrong token, as it logs every
	// failed fetch; anything else is a fault of the page.
	var unexpected []string
	wrongToken := 0
	for _, e := range consoleErrs {
		if strings.Contains(e, "status of 401 (Unauthorized)") {
			wrongToken++
			continue
		}
		unexpected = append(unexpected, e)
	}
	if len(unexpected) > 0 || wrongToken != 1 {
		t.Fatalf("console errors: %q", consoleErrs)
	}
	t.Logf("load generator sent %d requests; screenshots in %s", sent.Load(), shotDir)
}

// checkAxes: the live chart's axes carry units that fit the data (the
// rate axis k/M, the latency axis one unit, µs/ms/s), read from the labels
// uPlot drew; and the formatters give the labels a reader needs at scales
// the test's own load does not reach (10k req/s, 80 µs).
func checkAxes(t *testing.T, text func(string) string) {
	t.Helper()
	var axes [][]string
	if err := json.Unmarshal([]byte(text(`document.querySelector('#chart-live').dataset.axes`)), &axes); err != nil || len(axes) != 3 {
		t.Fatalf("live chart axes %v: %v", axes, err)
	}
	rate, lat := axes[1], axes[2]
	for _, l := range rate {
		if !regexp.MustCompile(`^\d+(\.\d)?[kM]?$`).MatchString(l) {
			t.Fatalf("rate axis label %q in %q", l, rate)
		}
	}
	unit := regexp.MustCompile(` (µs|ms|s)$`)
	if len(lat) < 2 || !unit.MatchString(lat[0]) {
		t.Fatalf("latency axis labels %q", lat)
	}
	u := unit.FindString(lat[0])
	for _, l := range lat {
		if !strings.HasSuffix(l, u) {
			t.Fatalf("latency axis mixes units: %q", lat)
		}
	}
	for js, want := range map[string]string{
		`premierFormat.rateAxis(null, [0, 5000, 10000, 15000]).join(',')`: "0,5k,10k,15k",
		`premierFormat.rateAxis(null, [0, 500000, 1000000]).join(',')`:    "0,500k,1M",
		`premierFormat.msAxis(null, [0, 0.02, 0.04, 0.08]).join(',')`:     "0 µs,20 µs,40 µs,80 µs",
		`premierFormat.msAxis(null, [0, 0.5, 1, 1.5]).join(',')`:          "0.0 ms,0.5 ms,1.0 ms,1.5 ms",
		`premierFormat.msAxis(null, [0, 1000, 2000]).join(',')`:           "0 s,1 s,2 s",
		`premierFormat.msAxis(null, [0, 250, 500, 750, 1000]).join(',')`:  "0.00 s,0.25 s,0.50 s,0.75 s,1.00 s",
		`premierFormat.fmtPct(2 / 100000)`:                                "0.0020%",
	} {
		if got := text(js); got != want {
			t.Errorf("%s = %q, want %q", js, got, want)
		}
	}
}

// setEditor replaces the editor's text as typing would (an input event).
func setEditor(t *testing.T, ctx context.Context, text string) {
	t.Helper()
	js := `(() => { const e = document.querySelector('#editor'); e.focus(); e.value = ` + jsString(text) + `; e.dispatchEvent(new Event('input', {bubbles: true})); return true; })()`
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](js)); err != nil {
		t.Fatal(err)
	}
}

func jsString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `'`, `\'`, "\n", `\n`, "\r", `\r`, "<", `\x3c`)
	return "'" + r.Replace(s) + "'"
}

func shot(t *testing.T, ctx context.Context, path string) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	png, err := chromedp.Run(sctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Logf("screenshot: %v", err)
		return
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Logf("screenshot: %v", err)
	}
}

func getBody(t *testing.T, c *fasthttp.Client, url string) string {
	t.Helper()
	code, body, err := c.Get(nil, url)
	if err != nil || code != 200 {
		t.Fatalf("GET %s: %d %v", url, code, err)
	}
	return string(body)
}

// rawGet sends a request target as is (no client-side escaping).
func rawGet(t *testing.T, addr, target string) string {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, "GET "+target+" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(c)
	if err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatal(err)
	}
	return string(b)
}
