package main

import (
	"context"
	"log/slog"
)

// fdMargin is the descriptors counted besides the proxied connections:
// the listeners, the log and access-log files, the config watcher,
// Redis, health-check and ACME connections, the binary upgrade's pipe,
// standard input and output, with room to spare (docs/health.md).
const fdMargin = 128

// fdNeeded is how many file descriptors limits.max_connections needs: two
// per proxied connection (the client's and the backend's), plus fdMargin.
func fdNeeded(maxConnections int) uint64 {
	return 2*uint64(max(maxConnections, 0)) + fdMargin
}

// checkFileLimit raises the open-file limit's soft value to its hard one
// (raiseFileLimit) and warns when the result is below what
// maxConnections needs: past it, accepting and dialling fail with EMFILE
// long before the connection cap is reached.
func checkFileLimit(log *slog.Logger, maxConnections int) {
	soft, hard, err := raiseFileLimit()
	if msg, low := fileLimitWarning(soft, maxConnections); low {
		attrs := []slog.Attr{slog.Uint64("limit", soft), slog.Uint64("hard_limit", hard),
			slog.Uint64("needed", fdNeeded(maxConnections)), slog.Int("max_connections", maxConnections)}
		if err != nil { // a raise the system refused (macOS's unlimited hard limit, for one)
			attrs = append(attrs, slog.String("raise_error", err.Error()))
		}
		log.LogAttrs(context.Background(), slog.LevelWarn, msg, attrs...)
	}
}

// fileLimitWarning is the warning for an open-file limit of soft with
// maxConnections, and whether there is one.
func fileLimitWarning(soft uint64, maxConnections int) (string, bool) {
	if soft >= fdNeeded(maxConnections) {
		return "", false
	}
	return "the open-file limit (RLIMIT_NOFILE) is below what limits.max_connections needs: raise LimitNOFILE (systemd) or ulimit -n, or lower max_connections", true
}
