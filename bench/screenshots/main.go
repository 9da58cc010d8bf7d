// Command screenshots takes the dashboard's screenshots for the docs from a
// running gateway under load (make screenshots drives it): it signs in in
// headless Chromium, then saves the overview (dashboard.png), a rule's
// detail (route-detail.png) and the configuration editor with an error in
// an edit (config-editor.png), and prints the request rate the gateway
// reported while it took them.
//
//	go run ./bench/screenshots -url http://127.0.0.1:18000/__premier -token T -route '/api/users/{id}' -out docs
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/chromedp/chromedp"
)

func main() {
	base := flag.String("url", "http://127.0.0.1:18000/__premier", "the dashboard's URL")
	token := flag.String("token", os.Getenv("PREMIER_DASHBOARD_TOKEN"), "the dashboard token")
	rule := flag.String("route", "", "the rule whose detail route-detail.png shows")
	out := flag.String("out", "docs", "directory for the PNG files")
	chromium := flag.String("chromium", "/usr/bin/chromium", "the Chromium binary")
	flag.Parse()
	if err := run(*base, *token, *rule, *out, *chromium); err != nil {
		log.Fatal(err)
	}
}

func run(base, token, rule, out, chromium string) error {
	dir, err := os.MkdirTemp("", "premier-screenshots-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chromium), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(dir),
		chromedp.Flag("disable-background-networking", true), chromedp.WindowSize(1440, 1000))
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(allocCtx)
	defer cancel()
	ctx, cancelT := context.WithTimeout(ctx, 3*time.Minute)
	defer cancelT()

	step := func(name string, steps ...chromedp.Action[chromedp.Void]) error {
		if err := chromedp.Do(ctx, steps...); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		return nil
	}
	wait := func(js string) chromedp.Action[chromedp.Void] {
		return chromedp.Poll[chromedp.Void](js, chromedp.WithPollingInterval(200*time.Millisecond), chromedp.WithPollingTimeout(60*time.Second))
	}
	shot := func(name string) error {
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		return os.WriteFile(filepath.Join(out, name), png, 0o644)
	}

	if err := step("sign in", chromedp.Navigate(base+"/login"), chromedp.WaitVisible(chromedp.CSS(`#token`)),
		chromedp.SendKeys(chromedp.CSS(`#token`), token), chromedp.Click(chromedp.CSS(`button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#conn.on`)), wait(`+(document.querySelector('#chart-live').dataset.points || 0) > 0`),
		chromedp.Sleep(2*time.Second)); err != nil {
		return err
	}
	rate, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('#ov-rps .value').textContent + ' req/s (the last 10 s), ' + document.querySelector('#chart-live').dataset.points + ' seconds in the live chart'`))
	if err != nil {
		return err
	}
	if err := shot("dashboard.png"); err != nil {
		return err
	}

	if rule != "" {
		pick := `(() => { const tr = Array.from(document.querySelectorAll('#routes-table tbody tr.clickable')).find((r) => r.querySelector('code').textContent === ` + strconv.Quote(rule) + `); if (!tr) return false; tr.click(); return true; })()`
		if err := step("route detail", chromedp.Click(chromedp.CSS(`[data-tab=routes]`)), wait(pick),
			chromedp.WaitVisible(chromedp.CSS(`#route-detail`)), wait(`+(document.querySelector('#chart-heat').dataset.points || 0) > 0`),
			chromedp.Sleep(2*time.Second)); err != nil {
			return err
		}
		if err := shot("route-detail.png"); err != nil {
			return err
		}
	}

	// An edit with a YAML error: the error on its line, the diff.
	if err := step("config tab", chromedp.Click(chromedp.CSS(`[data-tab=config]`)), wait(`document.querySelector('#editor').value.includes('paths:')`)); err != nil {
		return err
	}
	js := `(() => { const e = document.querySelector('#editor'); const lines = e.value.split('\n');
	  const i = lines.findIndex((l) => l.includes('paths:'));
	  lines.splice(i, 0, '  bogus: [');
	  e.value = lines.join('\n'); e.dispatchEvent(new Event('input', {bubbles: true})); return true; })()`
	if err := step("bad edit", chromedp.Evaluate[chromedp.Void](js), wait(`document.querySelector('#editor-status').classList.contains('bad')`),
		chromedp.Sleep(500*time.Millisecond)); err != nil {
		return err
	}
	if err := shot("config-editor.png"); err != nil {
		return err
	}
	fmt.Println("screenshots in " + out + "; the gateway reported " + strings.TrimSpace(rate))
	return nil
}
