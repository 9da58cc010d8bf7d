package proxy

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/premier-gateway/premier/internal/wait"
)

// budgetBackend serves /b/KEY: patternBody(size) with a Content-Length,
// cacheable; /trunc: a Content-Length of size and the connection closed
// after 1 MiB; PUT /retry: 503 to every odd request, else 200 naming how
// many body bytes it read.
func budgetBackend(t testing.TB, size int) (url string, hits func() int) {
	t.Helper()
	body := patternBody(size)
	var mu sync.Mutex
	n, puts := 0, 0
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		n++
		mu.Unlock()
		switch {
		case r.URL.Path == "/retry":
			got, _ := io.Copy(io.Discard, r.Body)
			mu.Lock()
			puts++
			odd := puts%2 == 1
			mu.Unlock()
			if odd {
				w.WriteHeader(http.StatusServiceUnavailable)
				return
			}
			_, _ = io.WriteString(w, strconv.FormatInt(got, 10))
		case r.URL.Path == "/trunc":
			c, brw, err := w.(http.Hijacker).Hijack()
			if err != nil {
				return
			}
			_, _ = brw.WriteString("HTTP/1.1 200 OK\r\nCache-Control: max-age=60\r\nContent-Length: " + strconv.Itoa(size) + "\r\n\r\n")
			_, _ = brw.Write(body[:1<<20])
			_ = brw.Flush()
			_ = c.Close()
		default:
			w.Header().Set("Cache-Control", "max-age=60")
			w.Header().Set("Content-Length", strconv.Itoa(size))
			_, _ = w.Write(body)
		}
	})}
	go srv.Serve(ln) //nolint:errcheck
	t.Cleanup(func() { _ = srv.Close() })
	return "http://" + ln.Addr().String(), func() int { mu.Lock(); defer mu.Unlock(); return n }
}

// dialSmallWindow connects with a 4 KiB receive buffer, so a response the
// client does not read stays in the gateway's hands.
func dialSmallWindow(t testing.TB, addr string) net.Conn {
	t.Helper()
	d := net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
		var err error
		if cerr := rc.Control(func(fd uintptr) { err = setRcvBuf(fd, 4096) }); cerr != nil {
			return cerr
		}
		return err
	}}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// readResponse reads one HTTP/1.1 response with a Content-Length from c.
func readResponse(t testing.TB, c net.Conn) (status int, head string, body []byte) {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(20 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err = io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var hb strings.Builder
	_ = resp.Header.Write(&hb)
	return resp.StatusCode, hb.String(), body
}

// Issue 15, item 11 (catalogue 83): one budget bounds the bodies held
// whole (limits.max_buffered_body_bytes). With room for two 8 MiB bodies,
// two clients that do not read hold them (premier_buffered_body_bytes
// says so) and a third body streams, uncached, with Cache-Status
// detail=memory-budget; a request body that does not fit streams once and
// is not retried. Every response is complete, nothing fails for the
// budget, and once the clients read, leave or a backend body breaks off,
// the count is back to 0.
func TestBodyBudget(t *testing.T) {
	const size = 8 << 20
	want := patternBody(size)
	backend, hits := budgetBackend(t, size)
	h := startGateway(t, configYAML(backend, `  limits: {max_buffered_body_bytes: 17301504}
  cache: {max_bytes: 67108864, max_entry_bytes: 16777216}
  paths:
    - pattern: /b/*
      features:
        cache: {expire_s: 60}
    - pattern: /trunc
      features:
        cache: {expire_s: 60}
    - pattern: /retry
      features:
        retry: {max_attempts: 2, wait: 0}
`))
	g := h.gw
	get := func(c net.Conn, path string) {
		t.Helper()
		if _, err := io.WriteString(c, "GET "+path+" HTTP/1.1\r\nHost: gw\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
	}

	// Two stalled clients hold 16 MiB of the 16.5 MiB.
	reader, leaver := dialSmallWindow(t, h.addr), dialSmallWindow(t, h.addr)
	get(reader, "/b/1")
	wait.Until(t, "the first body held", func() bool { return g.bodies.Used() == size })
	get(leaver, "/b/2")
	wait.Until(t, "both bodies held", func() bool { return g.bodies.Used() == 2*size })
	var metrics bytes.Buffer
	g.writePrometheus(&metrics)
	if !strings.Contains(metrics.String(), "\npremier_buffered_body_bytes 16777216\n") {
		t.Errorf("/metrics does not show the 16 MiB held")
	}

	// A third body streams, complete and uncached; a PUT body that does not
	// fit goes once: the backend's 503 is the answer.
	c := dialSmallWindow(t, h.addr)
	for range 2 {
		get(c, "/b/3")
		status, head, body := readResponse(t, c)
		if status != 200 || !bytes.Equal(body, want) || !strings.Contains(head, "detail=memory-budget") {
			t.Fatalf("over the budget: %d, %d bytes (equal=%v), head %q", status, len(body), bytes.Equal(body, want), head)
		}
	}
	put := func() (int, string) {
		resp, body := do(t, "PUT", h.url+"/retry", bytes.NewReader(want[:900<<10]), nil)
		return resp.StatusCode, body
	}
	if status, body := put(); status != 503 {
		t.Fatalf("PUT over the budget: %d %q, want the backend's 503 unretried", status, body)
	}
	if used := g.bodies.Used(); used != 2*size {
		t.Fatalf("held %d bytes, want %d", used, 2*size)
	}

	// One client reads, the other leaves: both reservations come back.
	status, head, body := readResponse(t, reader)
	if status != 200 || !bytes.Equal(body, want) || !strings.Contains(head, "stored") {
		t.Fatalf("held body: %d, %d bytes (equal=%v), head %q", status, len(body), bytes.Equal(body, want), head)
	}
	_ = leaver.Close()
	wait.Until(t, "the budget given back", func() bool { return g.bodies.Used() == 0 })

	// With room again: the PUT body is replayed (503, then 200 with every
	// byte), a broken backend body is a 502, and /b/1 is a hit.
	if status, body := put(); status != 200 || body != strconv.Itoa(900<<10) {
		t.Fatalf("PUT within the budget: %d %q, want 200 after a retry", status, body)
	}
	before := hits()
	if resp, _ := do(t, "GET", h.url+"/trunc", nil, nil); resp.StatusCode != 502 {
		t.Fatalf("truncated backend body: %d", resp.StatusCode)
	}
	if resp, body := do(t, "GET", h.url+"/b/1", nil, map[string]string{"Host": "gw"}); resp.StatusCode != 200 || body != string(want) ||
		resp.Header.Get("X-Cache") != "HIT" || hits() != before+1 {
		t.Fatalf("stored body: %d %s, %d bytes", resp.StatusCode, resp.Header.Get("X-Cache"), len(body))
	}
	wait.Until(t, "the budget given back", func() bool { return g.bodies.Used() == 0 })
}

// A pipelined connection reads every response whole, so a pipelined body
// over 64 KiB cannot stream past the budget: it is counted all the same
// (over the limit if need be) until written to its client, and given back.
func TestBodyBudgetCountsPipelined(t *testing.T) {
	const size = 8 << 20
	want := patternBody(size)
	backend, _ := budgetBackend(t, size)
	h := startGateway(t, configYAML(backend, `  lb: {pipeline: 1}
  limits: {max_buffered_body_bytes: 8388608}
`))
	stalled := []net.Conn{dialSmallWindow(t, h.addr), dialSmallWindow(t, h.addr)}
	for i, c := range stalled {
		if _, err := io.WriteString(c, "GET /b/"+strconv.Itoa(i)+" HTTP/1.1\r\nHost: gw\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
	}
	wait.Until(t, "both pipelined bodies counted", func() bool { return h.gw.bodies.Used() == 2*size })
	for _, c := range stalled {
		if status, _, body := readResponse(t, c); status != 200 || !bytes.Equal(body, want) {
			t.Fatalf("pipelined body: %d, %d bytes", status, len(body))
		}
	}
	wait.Until(t, "the budget given back", func() bool { return h.gw.bodies.Used() == 0 })
}
