//go:build !windows

package main

import (
	"os"
	"syscall"
)

// reopenSignals make the gateway reopen its access log file (logrotate's
// postrotate sends SIGUSR1, as to nginx).
var reopenSignals = []os.Signal{syscall.SIGUSR1}

// upgradeSignals make the process replace itself with the binary at its
// path, handing its listeners over (docs/upgrades.md).
var upgradeSignals = []os.Signal{syscall.SIGUSR2}
