package proxy

import (
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/premier-gateway/premier/proxy/config"
)

// Hostile config inputs (reliability catalogue scenarios 68–70): each is
// refused fast, with bounded memory and a clear positioned error, and a
// reload of it leaves the running config serving.

// laughs builds a billion-laughs document: nine levels of ten aliases
// (10⁹ values when expanded) placed by place(level, anchor, value).
func laughs(head string, place func(level int, def string) string) string {
	var b strings.Builder
	b.WriteString(head)
	b.WriteString(place(0, "&l0 [\"http://x:1\", \"http://x:2\", \"http://x:3\", \"http://x:4\", \"http://x:5\", \"http://x:6\", \"http://x:7\", \"http://x:8\", \"http://x:9\", \"http://x:10\"]"))
	for i := 1; i <= 9; i++ {
		b.WriteString(place(i, fmt.Sprintf("&l%d [%s*l%d]", i, strings.Repeat(fmt.Sprintf("*l%d, ", i-1), 9), i-1)))
	}
	return b.String()
}

func hostileConfigs() map[string][]byte {
	garbage := make([]byte, config.MaxFileBytes)
	rng := rand.New(rand.NewSource(1))
	for i := range garbage {
		garbage[i] = byte(1 + rng.Intn(255)) // no NUL: the YAML lexer sees it all
	}
	printable := make([]byte, config.MaxFileBytes)
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789 :-,.#!&*|>%@`?\n\t"
	for i := range printable {
		printable[i] = alphabet[rng.Intn(len(alphabet))]
	}
	var problems strings.Builder
	problems.WriteString("premier:\n  servers: [\"http://x:1\"]\n  paths:\n")
	for i := 0; i < 5000; i++ {
		fmt.Fprintf(&problems, "    - pattern: /p%d\n      bogus: 1\n", i)
	}
	var indent strings.Builder
	indent.WriteString("premier:\n")
	for i := 1; indent.Len() < config.MaxFileBytes-2000; i++ {
		indent.WriteString(strings.Repeat(" ", i+1) + "k:\n")
	}
	var unknown strings.Builder
	unknown.WriteString("premier:\n")
	for i := 0; unknown.Len() < config.MaxFileBytes-20; i++ {
		fmt.Fprintf(&unknown, "  k%d: 1\n", i)
	}
	return map[string][]byte{
		"billion laughs under an unknown key": []byte(laughs("premier:\n", func(i int, def string) string {
			return fmt.Sprintf("  x%d: %s\n", i, def)
		})),
		"billion laughs in servers lists": []byte(laughs("premier:\n  paths:\n", func(i int, def string) string {
			return fmt.Sprintf("    - pattern: /p%d\n      servers: %s\n", i, def)
		})),
		"billion laughs in retry waits": []byte(laughs("premier:\n  servers: [\"http://x:1\"]\n  paths:\n", func(i int, def string) string {
			return fmt.Sprintf("    - pattern: /p%d\n      features:\n        retry:\n          wait: %s\n", i, strings.ReplaceAll(strings.ReplaceAll(def, "\"http://x:", ""), "\"", ""))
		})),
		"10 000-level flow sequences":  []byte("premier:\n  keyspace: " + strings.Repeat("[", 10000) + strings.Repeat("]", 10000) + "\n"),
		"10 000-level flow mappings":   []byte("premier:\n  keyspace: " + strings.Repeat("{a: ", 10000) + "1" + strings.Repeat("}", 10000) + "\n"),
		"10 000-level block sequences": []byte("premier:\n  keyspace:\n    " + strings.Repeat("- ", 10000) + "x\n"),
		"deepest indentation in 1 MiB": []byte(indent.String()),
		"100 000 problems":             []byte(unknown.String()),
		"5 000 problems":               []byte(problems.String()),
		"binary garbage":               garbage,
		"printable garbage":            printable,
		"binary with NUL":              {0x7f, 'E', 'L', 'F', 0, 0, 1, 2},
		"one byte over the limit":      []byte("premier:\n  keyspace: \"" + strings.Repeat("a", config.MaxFileBytes) + "\"\n"),
		"0 bytes":                      {},
		"blank":                        []byte("\n  \n"),
	}
}

// TestConfigHostileInputBounded: scenario 70 (YAML bombs, huge and deep
// input, garbage) and 69c (empty file) through Parse and a file reload.
func TestConfigHostileInputBounded(t *testing.T) {
	backend := startBackend(t, func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString("old") })
	h := startGateway(t, configYAML(backend, ""))
	path := filepath.Join(t.TempDir(), "gw.yaml")
	for name, data := range hostileConfigs() {
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		failed := h.gw.Status().Failed
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		start := time.Now()
		err := h.gw.ReloadFile(path)
		took := time.Since(start)
		runtime.ReadMemStats(&m1)
		alloc := m1.TotalAlloc - m0.TotalAlloc
		if err == nil {
			t.Errorf("%s: accepted", name)
			continue
		}
		msg := err.Error()
		if !strings.HasPrefix(msg, path) {
			t.Errorf("%s: error without the file name: %.200s", name, msg)
		}
		if lines := strings.Count(msg, "\n") + 1; lines > config.MaxProblems+1 || len(msg) > 64<<10 {
			t.Errorf("%s: %d error lines, %d bytes", name, lines, len(msg))
		}
		if name == "5 000 problems" && !strings.HasSuffix(msg, "... and 4900 more problems") {
			t.Errorf("%s: problems past %d not counted: %s", name, config.MaxProblems, msg[len(msg)-100:])
		}
		// Generous bounds for -race on a loaded 2-core machine; the
		// allocation bound is the sharp one: without the limits the deep
		// inputs take seconds and gigabytes.
		if took > 20*time.Second {
			t.Errorf("%s: took %v", name, took)
		}
		if alloc > 256<<20 {
			t.Errorf("%s: allocated %d MiB", name, alloc>>20)
		}
		if h.gw.Status().Failed != failed+1 {
			t.Errorf("%s: failed reload not counted", name)
		}
		if _, body := do(t, "GET", h.url+"/", nil, nil); body != "old" {
			t.Fatalf("%s: the running config stopped serving: %q", name, body)
		}
		t.Logf("%-36s %8v %4d MiB  %.90s", name, took.Round(time.Millisecond), alloc>>20, strings.SplitN(msg, "\n", 2)[0])
	}
}

// TestConfigHugeFileReadBounded: a 100 MB file is refused by its size
// without being read, by LoadFile, a reload and the file watcher.
func TestConfigHugeFileReadBounded(t *testing.T) {
	backend := startBackend(t, func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString("old") })
	path := filepath.Join(t.TempDir(), "gw.yaml")
	if err := os.WriteFile(path, []byte(configYAML(backend, "")), 0o644); err != nil {
		t.Fatal(err)
	}
	h := startGateway(t, configYAML(backend, ""))
	w := h.gw.Watch(path, 10*time.Millisecond)
	defer w.Stop()

	f, err := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC, 0)
	if err != nil {
		t.Fatal(err)
	}
	line := []byte("  # " + strings.Repeat("x", 1019) + "\n")
	if _, err := f.Write([]byte(configYAML(backend, ""))); err != nil {
		t.Fatal(err)
	}
	for written := 0; written < 100<<20; written += len(line) {
		if _, err := f.Write(line); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}

	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	start := time.Now()
	_, lerr := config.LoadFile(path)
	rerr := h.gw.ReloadFile(path)
	took := time.Since(start)
	runtime.ReadMemStats(&m1)
	for _, err := range []error{lerr, rerr} {
		if err == nil || !strings.Contains(err.Error(), path+": config file larger than") {
			t.Fatalf("100 MB file: %v", err)
		}
	}
	if a := m1.TotalAlloc - m0.TotalAlloc; a > 1<<20 {
		t.Errorf("refusing a 100 MB file allocated %d KiB", a>>10)
	}
	if took > time.Second {
		t.Errorf("refusing a 100 MB file took %v", took)
	}
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(h.logs.String(), "config file larger than") {
		if time.Now().After(deadline) {
			t.Fatalf("watcher did not report the oversized file: %s", h.logs.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, body := do(t, "GET", h.url+"/", nil, nil); body != "old" {
		t.Fatalf("the running config stopped serving: %q", body)
	}
}
