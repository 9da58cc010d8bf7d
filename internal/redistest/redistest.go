// Package redistest runs a real redis-server for tests: on a free loopback
// port, owned by one test, and able to be killed, restarted on the same
// port, paused and resumed (to simulate a dead or stalled Redis).
//
// When redis-server is missing the test fails under CI (CI set) — `make
// test` installs it — and is skipped elsewhere.
package redistest

import (
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
)

// Server is one redis-server process.
type Server struct {
	t              testing.TB
	bin, port, dir string
	cmd            *exec.Cmd
	exited         chan error
}

// Start runs redis-server for t; it is killed when t ends.
func Start(t testing.TB) *Server {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("redis-server not found and CI is set (make test installs it)")
		}
		t.Skip("redis-server not installed")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	ln.Close()
	s := &Server{t: t, bin: bin, port: port, dir: t.TempDir()}
	s.Restart()
	t.Cleanup(s.Stop)
	return s
}

// Addr is host:port.
func (s *Server) Addr() string { return "127.0.0.1:" + s.port }

// URL is redis://host:port/0.
func (s *Server) URL() string { return "redis://" + s.Addr() + "/0" }

// Restart starts the server again on the same port (after Stop) and
// returns once it accepts connections.
func (s *Server) Restart() {
	s.t.Helper()
	if s.cmd != nil {
		return
	}
	s.cmd = exec.Command(s.bin, "--port", s.port, "--bind", "127.0.0.1", "--save", "",
		"--appendonly", "no", "--dir", s.dir, "--logfile", "", "--protected-mode", "no")
	ready := &readyWriter{ch: make(chan struct{})}
	s.cmd.Stdout = ready
	if err := s.cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	exited := make(chan error, 1)
	cmd := s.cmd
	go func() { exited <- cmd.Wait() }()
	s.exited = exited
	select {
	case <-ready.ch:
	case err := <-exited:
		s.cmd = nil
		s.t.Fatalf("redis-server exited before accepting connections: %v\n%s", err, ready.text())
	}
}

// Stop kills the server (a crash, not a shutdown).
func (s *Server) Stop() {
	if s.cmd == nil {
		return
	}
	_ = resume(s.cmd.Process) // a paused server must die too
	_ = s.cmd.Process.Kill()
	<-s.exited
	s.cmd = nil
}

// Pause stops the process (SIGSTOP): connections stay open, nothing answers.
// The test fails if the signal cannot be sent.
func (s *Server) Pause() {
	s.t.Helper()
	if s.cmd == nil {
		return
	}
	if err := pause(s.cmd.Process); err != nil {
		s.t.Fatal(err)
	}
}

// Resume continues a paused server.
func (s *Server) Resume() {
	if s.cmd != nil {
		_ = resume(s.cmd.Process)
	}
}

// readyWriter collects redis-server's log and closes ch when it says it is
// ready.
type readyWriter struct {
	mu   sync.Mutex
	buf  strings.Builder
	ch   chan struct{}
	done bool
}

func (w *readyWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if !w.done && strings.Contains(w.buf.String(), "Ready to accept connections") {
		w.done = true
		close(w.ch)
	}
	return len(p), nil
}

func (w *readyWriter) text() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}
