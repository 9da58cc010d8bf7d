package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/premier-gateway/premier/internal/wait"
)

// Reload and restart under load with the real binary: a Go load generator
// that classifies every request exactly.

const loadBody = 8 << 10 // each response carries 8 KiB, so a cut is visible

// recordingBackend answers every request with loadBody bytes derived from
// its X-Req-Id after delay, and records the ids it saw.
type recordingBackend struct {
	mu   sync.Mutex
	seen map[string]bool
	url  string
}

func startRecordingBackend(t *testing.T, name string, delay time.Duration) *recordingBackend {
	rb := &recordingBackend{seen: map[string]bool{}}
	rb.url = backend(t, func(ctx *fasthttp.RequestCtx) {
		id := string(ctx.Request.Header.Peek("X-Req-Id"))
		rb.mu.Lock()
		rb.seen[id] = true
		rb.mu.Unlock()
		time.Sleep(delay)
		ctx.Response.Header.Set("X-Backend", name)
		ctx.SetBody(expectedBody(id))
	})
	return rb
}

func (rb *recordingBackend) saw(id string) bool {
	rb.mu.Lock()
	defer rb.mu.Unlock()
	return rb.seen[id]
}

// countLines counts the lines of s that contain every one of parts.
func countLines(s string, parts ...string) int {
	n := 0
	for _, line := range strings.Split(s, "\n") {
		all := true
		for _, p := range parts {
			all = all && strings.Contains(line, p)
		}
		if all {
			n++
		}
	}
	return n
}

// replaceFile writes text to a temporary file and renames it over path.
func replaceFile(t *testing.T, path, text string) {
	t.Helper()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

func expectedBody(id string) []byte {
	return bytes.Repeat([]byte(id+";"), loadBody/(len(id)+1)+1)[:loadBody]
}

// outcome of one request, from the client's side.
type outcome int

const (
	completed outcome = iota // 200 and the whole, right body
	refused                  // no response byte arrived (not sent, connect refused, closed unread)
	truncated                // some response bytes, then the connection failed, or a wrong body
	badStatus                // a whole response with another status
)

// countingConn counts the bytes read since the last reset.
type countingConn struct {
	net.Conn
	n int
}

func (c *countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.n += n
	return n, err
}

// loadResult counts outcomes and remembers the ids of refused requests.
type loadResult struct {
	mu        sync.Mutex
	counts    [4]int
	refusedID []string
	cutIDs    []string
	okIDs     map[string]bool
	lastErr   error
}

func (r *loadResult) add(id string, o outcome, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.counts[o]++
	switch o {
	case completed:
		r.okIDs[id] = true
	case refused:
		r.refusedID = append(r.refusedID, id)
	default:
		r.cutIDs = append(r.cutIDs, id)
		r.lastErr = err
	}
}

// runLoad runs conns keep-alive clients against addr until stop closes (or,
// when untilRefused, until a client's connect is refused). Each request
// gets a unique id.
func runLoad(addr string, conns int, stop <-chan struct{}, untilRefused bool) (*loadResult, <-chan struct{}) {
	res := &loadResult{okIDs: map[string]bool{}}
	done := make(chan struct{})
	var seq atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < conns; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var c *countingConn
			var br *bufio.Reader
			defer func() {
				if c != nil {
					c.Close()
				}
			}()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if c == nil {
					nc, err := net.DialTimeout("tcp", addr, 2*time.Second)
					if err != nil {
						if untilRefused {
							return // the listener is gone
						}
						res.add(fmt.Sprintf("dial-%d", seq.Add(1)), refused, err)
						time.Sleep(5 * time.Millisecond)
						continue
					}
					c = &countingConn{Conn: nc}
					br = bufio.NewReader(c)
				}
				id := strconv.FormatInt(seq.Add(1), 10)
				o, err := oneRequest(c, br, id)
				res.add(id, o, err)
				if err != nil {
					c.Close()
					c = nil
				}
			}
		}()
	}
	go func() { wg.Wait(); close(done) }()
	return res, done
}

func (r *loadResult) completed() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.counts[completed]
}

func oneRequest(c *countingConn, br *bufio.Reader, id string) (outcome, error) {
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	c.n = br.Buffered() // bytes already buffered belong to no request: none expected
	start := c.n
	if _, err := fmt.Fprintf(c, "GET /load HTTP/1.1\r\nHost: gw\r\nX-Req-Id: %s\r\n\r\n", id); err != nil {
		return refused, err
	}
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		if c.n == start {
			return refused, err
		}
		return truncated, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return truncated, err
	}
	if resp.StatusCode != 200 {
		return badStatus, fmt.Errorf("status %d: %s", resp.StatusCode, body)
	}
	if !bytes.Equal(body, expectedBody(id)) {
		return truncated, fmt.Errorf("wrong body (%d bytes)", len(body))
	}
	if resp.Close {
		return completed, errors.New("closed by server") // reconnect
	}
	return completed, nil
}

// TestReloadsUnderLoadLoseNothing: 20 SIGHUP reloads (alternating two
// configs and two backends) during load: every request completes.
func TestReloadsUnderLoadLoseNothing(t *testing.T) {
	a := startRecordingBackend(t, "a", 0)
	b := startRecordingBackend(t, "b", 0)
	cfgA := fmt.Sprintf("premier:\n  servers: [%q]\n  paths:\n    - pattern: /load\n      features:\n        timeout: {seconds: 5}\n", a.url)
	cfgB := fmt.Sprintf("premier:\n  servers: [%q]\n  paths:\n    - pattern: \"/*\"\n      features:\n        retry: {max_attempts: 2, wait: 0}\n", b.url)
	cfg := writeFile(t, "gw.yaml", cfgA)
	cmd, url, logs := startBinary(t, cfg)
	addr := strings.TrimPrefix(url, "http://")

	stop := make(chan struct{})
	res, done := runLoad(addr, 8, stop, false)
	wait.Until(t, "load", func() bool { return res.completed() >= 50 })
	for i := 0; i < 20; i++ {
		text := cfgA
		if i%2 == 0 {
			text = cfgB
		}
		replaceFile(t, cfg, text) // as editors and deploy tools do
		_ = cmd.Process.Signal(syscall.SIGHUP)
		// Signals sent faster than they are handled merge: wait for each.
		wait.Until(t, "reload", func() bool { return countLines(logs.String(), "reason=SIGHUP") == i+1 })
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond)
	close(stop)
	<-done
	t.Logf("requests: %d completed, %d refused, %d truncated, %d bad status", res.counts[completed], res.counts[refused], res.counts[truncated], res.counts[badStatus])
	if res.counts[completed] < 100 || res.counts[refused]+res.counts[truncated]+res.counts[badStatus] != 0 {
		t.Fatalf("failures during reloads (last error %v); logs:\n%s", res.lastErr, logs)
	}
	// Every SIGHUP reload was applied (the file watcher may add one of its
	// own when it catches the file between two writes).
	if n := countLines(logs.String(), `msg="config reloaded"`, "reason=SIGHUP"); n != 20 {
		t.Fatalf("%d SIGHUP reloads applied, want 20:\n%s", n, logs)
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit: %v", err)
	}
}

// TestSIGTERMUnderLoadCutsNothing: SIGTERM while 16 keep-alive clients
// send requests that take 30 ms at the backend. Every request the gateway
// accepted (the backend saw it) completes with its whole body; the others
// got no response byte at all (the connection was closed unread or the
// connect was refused), and none of those reached the backend. The
// process exits 0.
func TestSIGTERMUnderLoadCutsNothing(t *testing.T) {
	be := startRecordingBackend(t, "a", 30*time.Millisecond)
	cfg := writeFile(t, "gw.yaml", fmt.Sprintf("premier:\n  servers: [%q]\n", be.url))
	cmd, url, logs := startBinary(t, cfg)
	addr := strings.TrimPrefix(url, "http://")

	res, done := runLoad(addr, 16, nil, true)
	wait.Until(t, "load", func() bool { return res.completed() >= 64 })
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		t.Fatal("clients still running 15 s after SIGTERM")
	}
	t.Logf("requests: %d completed, %d refused before being read, %d truncated, %d bad status",
		res.counts[completed], res.counts[refused], res.counts[truncated], res.counts[badStatus])
	if res.counts[truncated]+res.counts[badStatus] != 0 {
		t.Fatalf("requests cut or failed: %v (last error %v)", res.cutIDs, res.lastErr)
	}
	for _, id := range res.refusedID {
		if be.saw(id) {
			t.Errorf("request %s reached the backend but its client got no response", id)
		}
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit after SIGTERM: %v\n%s", err, logs)
	}
	if !strings.Contains(logs.String(), "premier stopped cleanly") {
		t.Fatalf("no clean stop logged:\n%s", logs)
	}
}
