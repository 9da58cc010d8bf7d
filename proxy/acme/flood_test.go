package acme

import (
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestChallengeFloodFallsThrough sends 500 HTTP-01 lookalikes (random
// tokens, a managed Host) to the plain listener of a started manager: none
// is answered as a challenge, each goes on its usual way (here the rig's
// redirect to https), and none writes a log line at the gateway's Info
// level (certmagic's "no such challenge" is a Debug line).
func TestChallengeFloodFallsThrough(t *testing.T) {
	r := newRig(t)
	m, err := New(Options{
		Domains:           []string{"api.premier.test"},
		Directory:         "https://127.0.0.1:9/directory", // nothing there: no order succeeds
		Storage:           filepath.Join(t.TempDir(), "acme"),
		HTTPChallengeAddr: r.plain.Addr().String(),
		Logger:            slog.New(slog.NewTextHandler(r.log, &slog.HandlerOptions{Level: slog.LevelInfo})),
	})
	if err != nil {
		t.Fatal(err)
	}
	r.serve(t, m)
	if err := m.Start(); err != nil {
		t.Fatal(err)
	}
	// Let the first (failing) order attempt log what it logs; the next
	// is a minute away.
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(r.log.String(), "will retry"); {
		if time.Now().After(deadline) {
			t.Fatalf("the failing order did not finish:\n%s", r.log.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	before := strings.Count(r.log.String(), "\n")

	c := &http.Client{Timeout: 5 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	defer c.CloseIdleConnections()
	for i := range 500 {
		req, _ := http.NewRequest("GET", "http://"+addrOf(r.plain)+ChallengePrefix+"tok"+strconv.Itoa(i), nil)
		req.Host = "api.premier.test"
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusPermanentRedirect {
			t.Fatalf("request %d: %d, want the listener's own answer", i, resp.StatusCode)
		}
	}
	if after := strings.Count(r.log.String(), "\n"); after != before {
		t.Fatalf("500 lookalikes wrote %d log lines:\n%s", after-before, r.log.String())
	}
}
