package upgrade

import (
	"strconv"
	"testing"
	"time"
)

// The abstract namespace is Linux's: a NOTIFY_SOCKET starting with '@'.
func TestNotifyAbstractSocket(t *testing.T) {
	name := "@premier-notify-test-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	pc := listenNotify(t, name)
	t.Setenv(EnvNotifySocket, name)
	if err := Notify("READY=1"); err != nil {
		t.Fatal(err)
	}
	if got := readNotify(t, pc); got != "READY=1" {
		t.Fatalf("%q", got)
	}
}
