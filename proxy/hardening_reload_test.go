package proxy

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/premier-gateway/premier/proxy/config"
	"github.com/premier-gateway/premier/ui/source"
)

// trafficCheck sends requests to url from 4 goroutines until stopped and
// counts any that did not get 200 with one of the wanted bodies.
func trafficCheck(t *testing.T, url string, want ...string) (stop func() (ok, bad int64, seen map[string]int64)) {
	var mu sync.Mutex
	seen := map[string]int64{}
	stopTraffic := traffic(url, 4, func(code int, body []byte, err error) bool {
		mu.Lock()
		seen[string(body)]++
		mu.Unlock()
		if err != nil || code != 200 || !slices.Contains(want, string(body)) {
			t.Logf("bad response: %d %q %v", code, body, err)
			return false
		}
		return true
	})
	stopOnce := sync.OnceValues(stopTraffic)
	t.Cleanup(func() { stopOnce() }) // a test that fails early stops its traffic too
	return func() (int64, int64, map[string]int64) {
		ok, bad := stopOnce()
		return ok, bad, seen
	}
}

// TestRejectedReloadsKeepServingUnderTraffic: scenario 68. Each invalid
// config is refused with its position, counted in the failure metric and
// logged; traffic keeps 100 % success throughout.
func TestRejectedReloadsKeepServingUnderTraffic(t *testing.T) {
	backend := startBackend(t, func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString("old") })
	good := configYAML(backend, "  paths:\n    - pattern: /x\n      features:\n        timeout: {seconds: 5}\n")
	h := startGateway(t, good)
	path := filepath.Join(t.TempDir(), "gw.yaml")
	srv := "premier:\n  servers: [\"" + backend + "\"]\n"
	rule := func(features string) string {
		return srv + "  paths:\n    - pattern: /x\n      features:\n        " + features + "\n"
	}
	cases := []struct{ name, text, want string }{
		{"YAML syntax error", srv + "  paths: [\n", `:3:10: YAML syntax`},
		{"unknown field", srv + "  bogus: 1\n", `:3:3: unknown key "bogus"`},
		{"negative rate", rule("rate_limit: {quota: -1, duration: 60}"), `:6:22: quota: must be a positive integer`},
		{"bad regex", srv + "  paths:\n    - pattern: \"^(\"\n", `:4:7: pattern "^(": `},
		{"ftp backend", "premier:\n  servers: [\"ftp://x\"]\n", `:2:13: url: malformed server URL "ftp://x"`},
		{"empty backend list", "premier:\n  servers: []\n", "has no `servers`"},
		{"policy on the dashboard prefix", srv + "  paths:\n    - pattern: \"/__premier/*\"\n", `:4:7: pattern "/__premier/*": /__premier is reserved`},
		{"zero timeout", rule("timeout: {seconds: 0}"), `:6:19: seconds: must be a positive number`},
		{"unknown alias", srv + "  listen: *nope\n", `:3:11: unknown alias *nope`},
		{"negative per-address cap", srv + "  limits: {max_connections_per_ip: -1}\n", `max_connections_per_ip: must not be negative`},
	}
	stop := trafficCheck(t, h.url+"/x", "old")
	time.Sleep(20 * time.Millisecond)
	for _, c := range cases {
		if err := os.WriteFile(path, []byte(c.text), 0o644); err != nil {
			t.Fatal(err)
		}
		err := h.gw.ReloadFile(path)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want %q", c.name, err, c.want)
		}
		time.Sleep(10 * time.Millisecond)
	}
	ok, bad, _ := stop()
	if bad != 0 || ok == 0 {
		t.Fatalf("%d failed and %d good requests during rejected reloads", bad, ok)
	}
	if st := h.gw.Status(); st.Failed != uint64(len(cases)) || st.Reloads != 0 {
		t.Fatalf("reloads counted: %+v", st)
	}
	var m bytes.Buffer
	h.gw.writePrometheus(&m)
	if want := fmt.Sprintf("premier_config_reloads_total{result=\"failure\"} %d", len(cases)); !strings.Contains(m.String(), want) {
		t.Fatalf("metric %q missing", want)
	}
	if h.gw.Loaded().Config.Paths[0].Features.Timeout.Seconds != 5 {
		t.Fatal("running config changed")
	}
}

// TestWatcherEditorSavePatterns: scenario 69. (a) a save in steps
// (truncate, half, rest, 50 ms apart) loads only the finished file; (b) a
// rename over the file (vim, atomic writers) and a delete-then-create are
// followed; (c) a 0-byte file is refused. No request ever sees a partial
// or empty config.
func TestWatcherEditorSavePatterns(t *testing.T) {
	a := startBackend(t, func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString("a") })
	partial := startBackend(t, func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString("partial") })
	b := startBackend(t, func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString("b") })
	c := startBackend(t, func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString("c") })
	dir := t.TempDir()
	path := filepath.Join(dir, "gw.yaml")
	write := func(text string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(configYAML(a, ""))
	h := startGateway(t, configYAML(a, ""))
	w := h.gw.Watch(path, 100*time.Millisecond)
	defer w.Stop()
	stop := trafficCheck(t, h.url+"/", "a", "b", "c")
	waitFor := func(body string) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for time.Now().Before(deadline) {
			if _, got := do(t, "GET", h.url+"/", nil, nil); got == body {
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
		t.Fatalf("config serving %q never loaded; logs: %s", body, h.logs.String())
	}

	// (a) The first half is itself a valid config (another backend): it
	// must never be loaded, nor the truncated file be refused.
	full := configYAML(b, "  paths:\n    - pattern: \"/*\"\n      servers: [\""+b+"\"]\n")
	half := configYAML(partial, "")
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC, 0)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	if _, err := f.WriteAt([]byte(half), 0); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	if _, err := f.WriteAt([]byte(full), 0); err != nil {
		t.Fatal(err)
	}
	f.Close()
	waitFor("b")
	if st := h.gw.Status(); st.Reloads != 1 || st.Failed != 0 {
		t.Fatalf("stepwise save: %d reloads, %d rejected; logs: %s", st.Reloads, st.Failed, h.logs.String())
	}

	// (b) Rename over the file, then delete and create it.
	tmp := filepath.Join(dir, ".gw.yaml.swp")
	if err := os.WriteFile(tmp, []byte(configYAML(c, "")), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
	waitFor("c")
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	time.Sleep(250 * time.Millisecond)
	write(configYAML(a, ""))
	waitFor("a")

	// (c) A 0-byte file is refused once and logged; the config keeps serving.
	write("")
	deadline := time.Now().Add(5 * time.Second)
	for h.gw.Status().Failed == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("empty file not refused; logs: %s", h.logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond) // more polls: refused once, not again
	ok, bad, seen := stop()
	if bad != 0 || seen["partial"] != 0 || ok == 0 {
		t.Fatalf("%d bad responses, %d from the half-written file, %d good", bad, seen["partial"], ok)
	}
	if st := h.gw.Status(); st.Failed != 1 || st.Reloads != 3 {
		t.Fatalf("reloads %d, refused %d; logs: %s", st.Reloads, st.Failed, h.logs.String())
	}
	if !strings.Contains(h.logs.String(), "config file is empty") {
		t.Fatalf("refusal not logged: %s", h.logs.String())
	}
	if _, body := do(t, "GET", h.url+"/", nil, nil); body != "a" {
		t.Fatalf("after the empty file: %q", body)
	}
}

// TestConcurrentAppliesAndDurableWrites: scenario 72. Two applies on the
// same base version: one wins, the other conflicts. While applies run, the
// file on disk is always a whole config (old or new, never truncated),
// and after them file and running config agree, with no temporary files.
func TestConcurrentAppliesAndDurableWrites(t *testing.T) {
	a := startBackend(t, func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString("a") })
	texts := make([]string, 6)
	for i := range texts {
		texts[i] = configYAML(a, fmt.Sprintf("  paths:\n    - pattern: /v%d\n      features:\n        timeout: {seconds: %d}\n", i, i+1))
	}
	h, src, path := startSourced(t, texts[0])

	for round := 0; round < 5; round++ {
		base := src.Config().Version
		errs := make([]error, 2)
		var wg sync.WaitGroup
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = src.Apply([]byte(texts[1+(round+i)%5]), base)
			}()
		}
		wg.Wait()
		won, lost := 0, 0
		for _, err := range errs {
			switch {
			case err == nil:
				won++
			case errors.Is(err, source.ErrConflict):
				lost++
			default:
				t.Fatalf("apply: %v", err)
			}
		}
		if won != 1 || lost != 1 {
			t.Fatalf("round %d: %d applied, %d conflicted", round, won, lost)
		}
		disk, _ := os.ReadFile(path)
		if string(disk) != string(h.gw.Loaded().Source) || src.Config().Text != string(disk) {
			t.Fatalf("round %d: file and running config differ", round)
		}
	}

	// A reader never sees a partial file while applies replace it.
	valid := map[string]bool{}
	for _, s := range texts {
		valid[s] = true
	}
	done := make(chan struct{})
	var torn atomic.Int64
	var reads atomic.Int64
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-done:
				return
			default:
			}
			if b, err := os.ReadFile(path); err != nil || !valid[string(b)] {
				torn.Add(1)
			}
			reads.Add(1)
		}
	}()
	for i := 0; i < 40; i++ {
		if _, err := src.Apply([]byte(texts[i%len(texts)]), 0); err != nil {
			t.Fatal(err)
		}
	}
	close(done)
	wg.Wait()
	if torn.Load() != 0 || reads.Load() == 0 {
		t.Fatalf("%d of %d reads saw a missing or partial file", torn.Load(), reads.Load())
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	tmp := regexp.MustCompile(`\.tmp-`)
	for _, e := range entries {
		if tmp.MatchString(e.Name()) {
			t.Errorf("temporary file left: %s", e.Name())
		}
	}
	// A restart loads the last applied config from the file.
	l, err := config.LoadFile(path)
	if err != nil || string(l.Source) != string(h.gw.Loaded().Source) {
		t.Fatalf("restart would load another config: %v", err)
	}
}
