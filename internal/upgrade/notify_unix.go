//go:build unix

package upgrade

import (
	"net"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// EnvNotifySocket is where systemd says its notification socket is.
const EnvNotifySocket = "NOTIFY_SOCKET"

// Notify sends one sd_notify message ("READY=1", "MAINPID=123\nREADY=1",
// "RELOADING=1", ...) as a datagram to the unix socket $NOTIFY_SOCKET
// names, as libsystemd's sd_notify does, without cgo. A name starting
// with '@' is in the abstract namespace (Go's net package maps the '@' to
// the leading NUL byte). Without NOTIFY_SOCKET (not run by systemd, or a
// unit that is not Type=notify) nothing is sent and the result is nil.
func Notify(state string) error {
	path := os.Getenv(EnvNotifySocket)
	if path == "" {
		return nil
	}
	c, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		return err
	}
	defer c.Close()
	_, err = c.Write([]byte(state))
	return err
}

// ReloadingState is the message before a reload: RELOADING=1 with the
// CLOCK_MONOTONIC time systemd's Type=notify-reload wants beside it; READY=1
// follows when the reload is done.
func ReloadingState() string {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		return "RELOADING=1"
	}
	return "RELOADING=1\nMONOTONIC_USEC=" + strconv.FormatInt(ts.Nano()/1000, 10)
}
