package acme

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/premier-gateway/premier/internal/pebbletest"
	"github.com/premier-gateway/premier/internal/syncbuf"
)

// instanceEnv makes the test binary run one more gateway instance (see
// runInstance) instead of the tests.
const instanceEnv = "PREMIER_ACME_TEST_INSTANCE"

// TestSharedStorageOneOrder runs two instances, two processes, over one
// storage directory, both managing the same name: the second orders the
// certificate while the first waits on the storage lock and then loads it.
// Pebble validates only the first instance's plain listener, so the first
// answers the second's challenge from the shared storage. Pebble issues
// exactly one certificate, and both instances serve it, verified against
// pebble's root.
func TestSharedStorageOneOrder(t *testing.T) {
	const domain = "shared.premier.test"
	r := newRig(t)
	peb := pebbletest.Start(t, port(r.plain), port(r.tls))
	storage := filepath.Join(t.TempDir(), "acme")

	// The other instance, in its own process.
	var childLog syncbuf.Buffer
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), instanceEnv+"=1",
		"PREMIER_ACME_TEST_DIRECTORY="+peb.Directory,
		"PREMIER_ACME_TEST_CA_ROOT="+peb.CARoot,
		"PREMIER_ACME_TEST_STORAGE="+storage,
		"PREMIER_ACME_TEST_DOMAIN="+domain)
	cmd.Stderr = &childLog
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stdin.Close() // the instance stops when its stdin closes
		if err := cmd.Wait(); err != nil {
			t.Errorf("second instance: %v", err)
		}
		if t.Failed() {
			t.Logf("second instance's log:\n%s", childLog.String())
		}
	})
	lines := make(chan string, 4)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	childTLS := expectLine(t, lines, "tls=")

	// This instance answers challenges from its Start on, but touches the
	// storage only once the other one holds the order's lock.
	m, err := New(Options{
		Domains:           []string{domain},
		Directory:         peb.Directory,
		CARoot:            peb.CARoot,
		Storage:           storage,
		HTTPChallengeAddr: r.plain.Addr().String(),
		Logger:            r.logger(),
	})
	if err != nil {
		t.Fatal(err)
	}
	lockFile := filepath.Join(storage, "locks", "issue_cert_"+domain+".lock")
	m.beforeManage = func(ctx context.Context) {
		for ctx.Err() == nil {
			if _, err := os.Stat(lockFile); err == nil {
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	r.serve(t, m)
	if err := m.Start(); err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(stdin, "go\n"); err != nil {
		t.Fatal(err)
	}
	waitReady(t, m, 30*time.Second)
	expectLine(t, lines, "ready")

	roots := peb.Roots(t)
	here := handshake(t, addrOf(r.tls), domain, roots)
	there := handshake(t, childTLS, domain, roots)
	if here.SerialNumber.Cmp(there.SerialNumber) != 0 {
		t.Fatalf("the instances serve different certificates: %x and %x", here.SerialNumber, there.SerialNumber)
	}
	if n := peb.Issued(); n != 1 {
		t.Fatalf("pebble issued %d certificates for two instances sharing the storage, want 1", n)
	}
	if !strings.Contains(r.log.String(), "distributed=true") {
		t.Fatal("the first instance did not answer the second's challenge from the shared storage")
	}
}

// expectLine waits for the next line from the instance, which must start
// with prefix, and returns the rest.
func expectLine(t *testing.T, lines <-chan string, prefix string) string {
	t.Helper()
	select {
	case l, ok := <-lines:
		if !ok || !strings.HasPrefix(l, prefix) {
			t.Fatalf("second instance said %q (closed %v), want %s…", l, !ok, prefix)
		}
		return strings.TrimPrefix(l, prefix)
	case <-time.After(30 * time.Second):
		t.Fatalf("second instance did not say %s… within 30 s", prefix)
	}
	return ""
}

// runInstance is the second instance: a manager and the two listeners on
// free loopback ports, its options from the environment. It prints
// "tls=ADDR" once it listens, starts managing on the line "go", prints
// "ready" once it serves a certificate, and stops when its stdin closes.
func runInstance() int {
	plainLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	tlsLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	m, err := New(Options{
		Domains:           []string{os.Getenv("PREMIER_ACME_TEST_DOMAIN")},
		Directory:         os.Getenv("PREMIER_ACME_TEST_DIRECTORY"),
		CARoot:            os.Getenv("PREMIER_ACME_TEST_CA_ROOT"),
		Storage:           os.Getenv("PREMIER_ACME_TEST_STORAGE"),
		HTTPChallengeAddr: plainLn.Addr().String(),
		Logger:            slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	stop := serveListeners(m, plainLn, tlsLn)
	defer stop()
	defer m.Stop()
	fmt.Printf("tls=%s\n", tlsLn.Addr())
	in := bufio.NewReader(os.Stdin)
	if l, err := in.ReadString('\n'); err != nil || l != "go\n" {
		return 1
	}
	if err := m.Start(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	stdinClosed := make(chan struct{})
	go func() { _, _ = io.Copy(io.Discard, in); close(stdinClosed) }()
	select {
	case <-m.Ready():
		fmt.Println("ready")
	case <-stdinClosed:
		return 1
	}
	<-stdinClosed
	return 0
}
