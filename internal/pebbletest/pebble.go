package pebbletest

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/premier-gateway/premier/internal/syncbuf"
)

// Server is one pebble process and its DNS responder, owned by one test.
type Server struct {
	// Directory is the ACME directory URL.
	Directory string
	// CARoot is the PEM file of the CA that signed pebble's own HTTPS
	// certificate: what a client passes as ca_root to talk to Directory.
	CARoot string

	mgmt string // host:port of the management interface
	out  *syncbuf.Buffer
}

// Option changes how pebble issues.
type Option func(map[string]any)

// Validity makes the certificates pebble issues valid for d (whole
// seconds; pebble's default is 90 days), so a test can watch a renewal.
func Validity(d time.Duration) Option {
	return func(conf map[string]any) {
		conf["profiles"] = map[string]any{"default": map[string]any{
			"description": "short-lived, for renewal tests", "validityPeriod": int64(d / time.Second),
		}}
	}
}

// Start runs pebble for t, validating HTTP-01 on 127.0.0.1:httpPort and
// TLS-ALPN-01 on 127.0.0.1:tlsPort, and returns once its directory answers.
// Pebble and the DNS responder stop when t ends.
func Start(t testing.TB, httpPort, tlsPort int, opts ...Option) *Server {
	t.Helper()
	bin := binary(t)
	certs := certsDir(t)
	dnsAddr := startDNS(t)

	acmeAddr, mgmtAddr := freeAddr(t), freeAddr(t)
	dir := t.TempDir()
	pebble := map[string]any{
		"listenAddress":           acmeAddr,
		"managementListenAddress": mgmtAddr,
		"certificate":             filepath.Join(certs, "localhost", "cert.pem"),
		"privateKey":              filepath.Join(certs, "localhost", "key.pem"),
		"httpPort":                httpPort,
		"tlsPort":                 tlsPort,
		"ocspResponderURL":        "",
		"keyAlgorithm":            "ecdsa",
		// Clients poll at once rather than after pebble's default 3 and 5 s.
		"retryAfter": map[string]int{"authz": 0, "order": 0},
	}
	for _, o := range opts {
		o(pebble)
	}
	b, _ := json.Marshal(map[string]any{"pebble": pebble})
	confPath := filepath.Join(dir, "pebble.json")
	if err := os.WriteFile(confPath, b, 0o600); err != nil {
		t.Fatal(err)
	}

	s := &Server{
		Directory: "https://" + acmeAddr + "/dir",
		CARoot:    filepath.Join(certs, "pebble.minica.pem"),
		mgmt:      mgmtAddr,
		out:       &syncbuf.Buffer{},
	}
	cmd := exec.Command(bin, "-config", confPath, "-dnsserver", dnsAddr)
	cmd.Env = pebbleEnv()
	cmd.Stdout, cmd.Stderr = s.out, s.out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
		if t.Failed() {
			t.Logf("pebble's log:\n%s", s.out.String())
		}
	})

	c := s.client(t)
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := c.Get(s.Directory)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s
			}
		}
		select {
		case <-exited:
			t.Fatalf("pebble exited before answering:\n%s", s.out.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("pebble's directory did not answer within 20 s (last error %v):\n%s", err, s.out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// pebbleEnv is the test's environment with validation made real and fast:
// no sleep before validating, no always-valid shortcut, and no nonces
// rejected at random (clients retry those, but it only slows tests).
func pebbleEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "PEBBLE_") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, "PEBBLE_VA_NOSLEEP=1", "PEBBLE_WFE_NONCEREJECT=0")
}

// client trusts the CA of pebble's own HTTPS certificate.
func (s *Server) client(t testing.TB) *http.Client {
	t.Helper()
	pem, err := os.ReadFile(s.CARoot)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	return &http.Client{
		Timeout:   5 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, DisableKeepAlives: true},
	}
}

// Roots returns the root that signs the certificates pebble issues (its
// management endpoint /roots/0; pebble makes a new one each run): what a
// client verifies the gateway's certificate against.
func (s *Server) Roots(t testing.TB) *x509.CertPool {
	t.Helper()
	resp, err := s.client(t).Get("https://" + s.mgmt + "/roots/0")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	pem, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("pebble /roots/0: %d %v", resp.StatusCode, err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatalf("pebble /roots/0 gave no certificate: %q", pem)
	}
	return pool
}

// Issued is how many certificates pebble has issued so far.
func (s *Server) Issued() int { return strings.Count(s.out.String(), "Issued certificate serial") }

// Log is pebble's output so far.
func (s *Server) Log() string { return s.out.String() }

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// binary builds pebble once per test process (`go tool -n pebble` builds
// the module's tool into the build cache and prints its path).
func binary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		out, err := exec.CommandContext(ctx, goCmd(), "tool", "-n", "pebble").Output()
		if err != nil {
			buildErr = fmt.Errorf("go tool -n pebble: %w", err)
			if ee, ok := err.(*exec.ExitError); ok {
				buildErr = fmt.Errorf("%w: %s", buildErr, ee.Stderr)
			}
			return
		}
		binPath = strings.TrimSpace(string(out))
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// certsDir is pebble's module's test/certs: the throwaway CA and the
// localhost certificate pebble serves its API with.
func certsDir(t testing.TB) string {
	t.Helper()
	out, err := exec.Command(goCmd(), "list", "-m", "-f", "{{.Dir}}", "github.com/letsencrypt/pebble/v2").Output()
	if err != nil {
		t.Fatalf("go list pebble's module: %v", err)
	}
	return filepath.Join(strings.TrimSpace(string(out)), "test", "certs")
}

// goCmd is the go command running the tests: the one in $GOROOT/bin when
// GOROOT is set, else the one on PATH.
func goCmd() string {
	if root := os.Getenv("GOROOT"); root != "" {
		if p := filepath.Join(root, "bin", "go"); fileExists(p) {
			return p
		}
	}
	return "go"
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

// freeAddr is a loopback address with a port free a moment ago.
func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}
