// Package upgrade owns the process plumbing of a zero-downtime binary
// upgrade and of running under a service manager: the running process
// starts the binary at its own path with the same arguments, hands it the
// listening sockets by file descriptor inheritance (the descriptors as
// exec.Cmd.ExtraFiles, their names in the PREMIER_UPGRADE_FDS environment
// variable), and waits until the new process writes on a pipe between
// them that it is serving; a new process that fails to start, exits or
// stays silent past a bound is killed. The new process takes the sockets
// over (Inherited) and says it is ready (Inheritance.Ready).
//
// It also writes sd_notify messages to $NOTIFY_SOCKET without cgo (Notify)
// and keeps the PID file (WritePIDFile, RemovePIDFile).
//
// What the old process does once the new one is ready — drain and exit —
// is the gateway's ordinary drain: the command cancels the same context
// SIGTERM cancels. This package knows no gateway, configuration or HTTP.
// File descriptor passing and SIGUSR2 exist on Unix only: on Windows Start
// and Inherited report that upgrades are unsupported and Notify sends
// nothing.
package upgrade
