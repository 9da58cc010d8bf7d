package proxy

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// recBackend is a raw-TCP HTTP/1.1 backend that records every byte it
// receives and parses requests strictly (CRLF only, one framing header), so
// hardening tests can assert exactly what crossed the gateway: no smuggled
// second request, never both Content-Length and Transfer-Encoding, no stray
// prefix byte, no bare LF.
type recBackend struct {
	addr string
	url  string

	// early, when set, picks requests answered right after their head,
	// before the body is read (the body is still read afterwards).
	early func(r recReq) bool
	// delay, when set, holds the answer to a request.
	delay func(r recReq) time.Duration
	// extra is added to every response head (CRLF-terminated lines).
	extra string

	ln    net.Listener
	wg    sync.WaitGroup
	mu    sync.Mutex
	raw   bytes.Buffer // every byte received, all connections, arrival order
	reqs  []recReq
	errs  []string // framing errors the strict parser met
	conns map[net.Conn]bool
	seen  int // connections accepted
}

// Targets starting /login are answered 401, /chunked with a chunked body;
// everything else 200 "ok <target>" with a Content-Length.

// recReq is one request as the backend parsed it.
type recReq struct {
	Method, Target, Proto string
	Headers               [][2]string // in wire order, names as sent
	Body                  string
	Conn                  int // which accepted connection (1-based)
}

// header returns every value of the header name (case-insensitive).
func (r recReq) header(name string) []string {
	var vs []string
	for _, h := range r.Headers {
		if strings.EqualFold(h[0], name) {
			vs = append(vs, h[1])
		}
	}
	return vs
}

func startRecBackend(t testing.TB) *recBackend {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b := &recBackend{ln: ln, addr: ln.Addr().String(), url: "http://" + ln.Addr().String(), conns: map[net.Conn]bool{}}
	b.wg.Add(1)
	go b.accept()
	t.Cleanup(func() {
		_ = ln.Close()
		b.mu.Lock()
		for c := range b.conns {
			_ = c.Close()
		}
		b.mu.Unlock()
		b.wg.Wait()
	})
	return b
}

func (b *recBackend) accept() {
	defer b.wg.Done()
	for {
		c, err := b.ln.Accept()
		if err != nil {
			return
		}
		b.mu.Lock()
		b.conns[c] = true
		b.seen++
		n := b.seen
		b.mu.Unlock()
		b.wg.Add(1)
		go b.serve(c, n)
	}
}

// recorder copies what the connection reads into the shared log.
type recorder struct {
	c net.Conn
	b *recBackend
}

func (r recorder) Read(p []byte) (int, error) {
	n, err := r.c.Read(p)
	r.b.mu.Lock()
	r.b.raw.Write(p[:n])
	r.b.mu.Unlock()
	return n, err
}

func (b *recBackend) serve(c net.Conn, n int) {
	defer b.wg.Done()
	defer func() {
		_ = c.Close()
		b.mu.Lock()
		delete(b.conns, c)
		b.mu.Unlock()
	}()
	br := bufio.NewReader(recorder{c, b})
	for {
		r, err := readRecHead(br)
		if err != nil {
			if !errors.Is(err, io.EOF) {
				b.fail(err)
			}
			return
		}
		r.Conn = n
		early := b.early != nil && b.early(r)
		if early {
			b.answer(c, r)
		}
		if r.Body, err = readRecBody(br, r); err != nil {
			b.fail(err)
			return
		}
		b.mu.Lock()
		b.reqs = append(b.reqs, r)
		b.mu.Unlock()
		if !early {
			b.answer(c, r)
		}
	}
}

func (b *recBackend) answer(c net.Conn, r recReq) {
	if b.delay != nil {
		time.Sleep(b.delay(r))
	}
	status, body := 200, "ok "+r.Target
	if strings.HasPrefix(r.Target, "/login") {
		status = 401
	}
	if strings.HasPrefix(r.Target, "/chunked") {
		_, _ = fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n%s\r\n%x\r\n%s\r\n0\r\n\r\n", b.extra, len(body), body)
		return
	}
	_, _ = fmt.Fprintf(c, "HTTP/1.1 %d %s\r\nContent-Length: %d\r\nContent-Type: text/plain\r\n%s\r\n%s",
		status, http.StatusText(status), len(body), b.extra, body)
}

func (b *recBackend) fail(err error) {
	b.mu.Lock()
	b.errs = append(b.errs, err.Error())
	b.mu.Unlock()
}

// requests returns the requests parsed so far.
func (b *recBackend) requests() []recReq {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]recReq(nil), b.reqs...)
}

// received returns every byte received so far.
func (b *recBackend) received() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.raw.String()
}

// check fails t when the backend met a framing error or got a message
// that a strict HTTP/1.1 server would not accept as written.
func (b *recBackend) check(t testing.TB) {
	t.Helper()
	b.mu.Lock()
	errs := append([]string(nil), b.errs...)
	b.mu.Unlock()
	if len(errs) > 0 {
		t.Errorf("backend framing errors: %q\nbackend received:\n%q", errs, b.received())
	}
	for _, r := range b.requests() {
		if len(r.header("Content-Length")) > 0 && len(r.header("Transfer-Encoding")) > 0 {
			t.Errorf("backend got both Content-Length and Transfer-Encoding: %+v", r)
		}
		if len(r.header("Content-Length")) > 1 || len(r.header("Transfer-Encoding")) > 1 || len(r.header("Host")) != 1 {
			t.Errorf("backend got repeated framing or Host headers: %+v", r)
		}
		if r.Proto != "HTTP/1.1" {
			t.Errorf("backend got %q, want HTTP/1.1", r.Proto)
		}
	}
}

// waitRequests waits (bounded) until the backend has parsed n requests.
func (b *recBackend) waitRequests(t testing.TB, n int) []recReq {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		rs := b.requests()
		if len(rs) >= n || time.Now().After(deadline) {
			return rs
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// readRecLine reads one line that must end in CRLF (a bare LF is an error).
func readRecLine(br *bufio.Reader) (string, error) {
	line, err := br.ReadString('\n')
	if err != nil {
		if line == "" {
			return "", err
		}
		return "", fmt.Errorf("truncated line %q: %w", line, err)
	}
	if !strings.HasSuffix(line, "\r\n") {
		return "", fmt.Errorf("line not ended by CRLF: %q", line)
	}
	line = line[:len(line)-2]
	if strings.ContainsAny(line, "\r\x00") {
		return "", fmt.Errorf("CR or NUL inside a line: %q", line)
	}
	return line, nil
}

func readRecHead(br *bufio.Reader) (recReq, error) {
	var r recReq
	line, err := readRecLine(br)
	if err != nil {
		return r, err
	}
	parts := strings.Split(line, " ")
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" {
		return r, fmt.Errorf("bad request line %q", line)
	}
	r.Method, r.Target, r.Proto = parts[0], parts[1], parts[2]
	for {
		line, err := readRecLine(br)
		if err != nil {
			return r, err
		}
		if line == "" {
			return r, nil
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok || name == "" || strings.ContainsAny(name, " \t") || line[0] == ' ' || line[0] == '\t' {
			return r, fmt.Errorf("bad header line %q", line)
		}
		r.Headers = append(r.Headers, [2]string{name, strings.Trim(value, " \t")})
	}
}

func readRecBody(br *bufio.Reader, r recReq) (string, error) {
	te, cl := r.header("Transfer-Encoding"), r.header("Content-Length")
	switch {
	case len(te) > 0:
		if len(te) != 1 || !strings.EqualFold(te[0], "chunked") {
			return "", fmt.Errorf("unexpected Transfer-Encoding %q", te)
		}
		return readRecChunked(br)
	case len(cl) > 0:
		n, err := strconv.Atoi(cl[0])
		if err != nil || n < 0 || len(cl) != 1 {
			return "", fmt.Errorf("bad Content-Length %q", cl)
		}
		body := make([]byte, n)
		_, err = io.ReadFull(br, body)
		return string(body), err
	}
	return "", nil
}

func readRecChunked(br *bufio.Reader) (string, error) {
	var body strings.Builder
	for {
		line, err := readRecLine(br)
		if err != nil {
			return "", err
		}
		size, err := strconv.ParseUint(line, 16, 31)
		if err != nil {
			return "", fmt.Errorf("bad chunk size %q", line)
		}
		if size == 0 {
			for { // trailers
				line, err := readRecLine(br)
				if err != nil {
					return "", err
				}
				if line == "" {
					return body.String(), nil
				}
			}
		}
		if _, err := io.CopyN(&body, br, int64(size)); err != nil {
			return "", err
		}
		if line, err := readRecLine(br); err != nil || line != "" {
			return "", fmt.Errorf("chunk not ended by CRLF: %q %v", line, err)
		}
	}
}

// rawReply is what a client got back on one raw connection.
type rawReply struct {
	raw      string
	statuses []int            // every response in order, interim 1xx included
	resps    []*http.Response // bodies already read into bodies
	bodies   []string
	closed   bool // the gateway closed the connection (EOF or reset) before the deadline
}

// exchange dials addr, writes each part (pausing 100 ms between parts; a
// failed write after the gateway closed is ignored) and reads until the
// gateway closes the connection or wait passes.
func exchange(t testing.TB, addr string, wait time.Duration, parts ...string) rawReply {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var out bytes.Buffer
	done := make(chan error, 1)
	go func() {
		_ = c.SetReadDeadline(time.Now().Add(wait))
		_, err := io.Copy(&out, c)
		done <- err
	}()
	for i, p := range parts {
		if i > 0 {
			time.Sleep(100 * time.Millisecond)
		}
		if _, err := io.WriteString(c, p); err != nil {
			break
		}
	}
	err = <-done
	var ne net.Error
	rep := rawReply{raw: out.String(), closed: !(errors.As(err, &ne) && ne.Timeout())}
	br := bufio.NewReader(strings.NewReader(rep.raw))
	for {
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			break
		}
		body, _ := io.ReadAll(resp.Body)
		rep.statuses = append(rep.statuses, resp.StatusCode)
		rep.resps = append(rep.resps, resp)
		rep.bodies = append(rep.bodies, string(body))
	}
	return rep
}

// wantClosed asserts one final response with status want and a closed
// connection.
func (r rawReply) wantClosed(t testing.TB, name string, want int) {
	t.Helper()
	if len(r.statuses) != 1 || r.statuses[0] != want {
		t.Errorf("%s: statuses %v, want [%d]; got:\n%q", name, r.statuses, want, r.raw)
	}
	if !r.closed {
		t.Errorf("%s: the gateway kept the connection open", name)
	}
}
