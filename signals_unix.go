//go:build !windows

package main

import (
	"os"
	"syscall"
)

// reopenSignals make the gateway reopen its access log file (logrotate's
// postrotate sends SIGUSR1, as to nginx).
var reopenSignals = []os.Signal{syscall.SIGUSR1}
