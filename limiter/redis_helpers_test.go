package limiter

import (
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"

	"github.com/redis/rueidis"
)

// redisServer is a real redis-server on a free loopback port, owned by one
// test; it can be killed and restarted on the same port.
type redisServer struct {
	bin, port, dir string
	cmd            *exec.Cmd
	exited         chan error
}

func startRedis(t testing.TB) *redisServer {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("redis-server not found and CI=true")
		}
		t.Skip("redis-server not installed")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	ln.Close()
	s := &redisServer{bin: bin, port: port, dir: t.TempDir()}
	s.start(t)
	t.Cleanup(s.kill)
	return s
}

func (s *redisServer) addr() string { return "127.0.0.1:" + s.port }

// start runs redis-server and returns once it logs that it accepts
// connections (no polling, no sleeps).
func (s *redisServer) start(t testing.TB) {
	t.Helper()
	s.cmd = exec.Command(s.bin, "--port", s.port, "--bind", "127.0.0.1", "--save", "",
		"--appendonly", "no", "--dir", s.dir, "--logfile", "")
	ready := &readyWriter{ch: make(chan struct{})}
	s.cmd.Stdout = ready
	exited := make(chan error, 1)
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	cmd := s.cmd
	go func() { exited <- cmd.Wait() }()
	s.exited = exited
	select {
	case <-ready.ch:
	case err := <-exited:
		s.cmd = nil
		t.Fatalf("redis-server exited before accepting connections: %v\n%s", err, ready.buf.String())
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

func (s *redisServer) kill() {
	if s.cmd != nil {
		s.cmd.Process.Kill()
		<-s.exited
		s.cmd = nil
	}
}

func newRedisClient(t testing.TB, addr string) rueidis.Client {
	t.Helper()
	c, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: []string{addr}, DisableCache: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}
