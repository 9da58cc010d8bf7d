package upgrade

import (
	"os"
	"path/filepath"
	"testing"
)

func TestPIDFileWrittenAtomicallyAndRemovedOnlyByItsProcess(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "premier.pid")
	if err := WritePIDFile(path, 100); err != nil {
		t.Fatal(err)
	}
	if err := WritePIDFile(path, 200); err != nil { // the new process after an upgrade
		t.Fatal(err)
	}
	if pid, err := ReadPIDFile(path); err != nil || pid != 200 {
		t.Fatalf("pidfile holds %d (%v), want 200", pid, err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("temporary files left beside the pidfile: %v", entries)
	}
	if err := RemovePIDFile(path, 100); err != nil { // the old process exiting
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("the old process removed the new one's pidfile: %v", err)
	}
	if err := RemovePIDFile(path, 200); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("pidfile still there after its process exited: %v", err)
	}
}

func TestFDsRoundTrip(t *testing.T) {
	v := formatFDs([]string{"plain", "tls", ReadyName})
	if v != "plain:3,tls:4,ready:5" {
		t.Fatalf("%q", v)
	}
	fds, err := parseFDs(v)
	if err != nil || fds["plain"] != 3 || fds["tls"] != 4 || fds[ReadyName] != 5 {
		t.Fatalf("%v %v", fds, err)
	}
	for _, bad := range []string{"", "plain", "plain:x", "plain:1", "plain:3,plain:4", ":3"} {
		if _, err := parseFDs(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	env := withoutFDs([]string{"A=1", EnvFDs + "=plain:3", "B=2"})
	if len(env) != 2 || env[0] != "A=1" || env[1] != "B=2" {
		t.Fatalf("%v", env)
	}
}
