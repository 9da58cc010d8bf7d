//go:build unix

package upgrade

import (
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// listenNotify is a real unixgram socket playing systemd's.
func listenNotify(t *testing.T, name string) *net.UnixConn {
	t.Helper()
	pc, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: name, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	return pc
}

func readNotify(t *testing.T, pc *net.UnixConn) string {
	t.Helper()
	_ = pc.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 4096)
	n, _, err := pc.ReadFromUnix(buf)
	if err != nil {
		t.Fatal(err)
	}
	return string(buf[:n])
}

func TestNotifyWritesToNotifySocket(t *testing.T) {
	path := filepath.Join(t.TempDir(), "notify.sock")
	pc := listenNotify(t, path)
	t.Setenv(EnvNotifySocket, path)
	if err := Notify("MAINPID=42\nREADY=1"); err != nil {
		t.Fatal(err)
	}
	if got := readNotify(t, pc); got != "MAINPID=42\nREADY=1" {
		t.Fatalf("%q", got)
	}
	state := ReloadingState()
	us, ok := strings.CutPrefix(state, "RELOADING=1\nMONOTONIC_USEC=")
	if n, err := strconv.ParseInt(us, 10, 64); !ok || err != nil || n <= 0 {
		t.Fatalf("reloading state %q", state)
	}
}

func TestNotifyWithoutSystemdSendsNothing(t *testing.T) {
	t.Setenv(EnvNotifySocket, "")
	if err := Notify("READY=1"); err != nil {
		t.Fatal(err)
	}
	t.Setenv(EnvNotifySocket, filepath.Join(t.TempDir(), "missing.sock"))
	if err := Notify("READY=1"); err == nil {
		t.Fatal("a NOTIFY_SOCKET nobody listens on: no error")
	}
}
