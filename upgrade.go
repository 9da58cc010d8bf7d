package main

import (
	"fmt"
	"log/slog"
	"net"
	"os"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/premier-gateway/premier/internal/upgrade"
)

// defaultUpgradeTimeout bounds how long the old process waits for the new
// one to say it is ready on SIGUSR2 (-upgrade-timeout).
const defaultUpgradeTimeout = 30 * time.Second

// process is the gateway process's life around the gateway: the listeners
// it inherited from an old process or bound itself, saying it is ready
// (the old process's pipe, systemd, the PID file), and replacing itself
// with the binary now at its path on SIGUSR2 (docs/upgrades.md).
type process struct {
	log       *slog.Logger
	pidfile   string
	timeout   time.Duration
	args      []string
	exe       string
	exeErr    error
	inherited *upgrade.Inheritance
	handoff   []upgrade.Listener // the raw sockets a new process gets
	upgrading atomic.Bool        // one upgrade at a time; stays set once one succeeded
}

// newProcess takes over what an old process handed down, if anything, and
// notes the binary's path now, before anyone replaces the file.
func newProcess(log *slog.Logger, pidfile string, timeout time.Duration, args []string) *process {
	p := &process{log: log, pidfile: pidfile, timeout: timeout, args: args}
	p.exe, p.exeErr = upgrade.Executable()
	in, err := upgrade.Inherited()
	if err != nil {
		log.Error("upgrade: inherited descriptors unusable, binding afresh", slog.String("error", err.Error()))
	}
	p.inherited = in
	return p
}

// listen returns the listener named name: the one inherited from the old
// process (the same socket, so no connection waiting in its queue is lost),
// else a new one bound to addr. The address of an inherited socket is the
// one the old process bound: a changed listen address takes a restart.
func (p *process) listen(name, addr string) (net.Listener, error) {
	ln := p.inherited.Listener(name)
	if ln == nil {
		var err error
		if ln, err = net.Listen("tcp", addr); err != nil {
			return nil, err
		}
	}
	p.handoff = append(p.handoff, upgrade.Listener{Name: name, Ln: ln})
	return ln, nil
}

// ready runs once every listener is served: the PID file names this
// process, systemd learns it is ready (and, after an upgrade, that it is
// the main process now), and the old process may drain.
func (p *process) ready() {
	pid := os.Getpid()
	if p.pidfile != "" {
		if err := upgrade.WritePIDFile(p.pidfile, pid); err != nil {
			p.log.Error("pidfile not written", slog.String("path", p.pidfile), slog.String("error", err.Error()))
		}
	}
	state := "READY=1"
	if p.inherited != nil {
		state = "MAINPID=" + strconv.Itoa(pid) + "\nREADY=1"
	}
	p.notify(state)
	if p.inherited != nil {
		if err := p.inherited.Ready(); err != nil {
			p.log.Error("upgrade: could not tell the old process this one is ready", slog.String("error", err.Error()))
		}
		p.inherited.Close() // sockets the configuration no longer listens on
	}
}

// notify sends an sd_notify state, logging (not failing) when systemd
// cannot be told.
func (p *process) notify(state string) {
	if err := upgrade.Notify(state); err != nil {
		p.log.Warn("sd_notify failed", slog.String("socket", os.Getenv(upgrade.EnvNotifySocket)), slog.String("error", err.Error()))
	}
}

// upgrade replaces this process (SIGUSR2): it starts the binary at its
// path with the same arguments and the listeners, and once that process is
// ready calls drain — the drain SIGTERM starts, so both end the same way.
// A new process that does not become ready is killed and this one keeps
// serving; an upgrade already under way refuses a second one.
func (p *process) upgrade(drain func()) {
	if !p.upgrading.CompareAndSwap(false, true) {
		p.log.Warn("upgrade refused: one is already in progress (SIGUSR2 ignored)")
		return
	}
	go func() {
		pid, err := p.start()
		if err != nil {
			p.log.Error("upgrade failed, this process keeps serving", slog.String("error", err.Error()))
			p.upgrading.Store(false)
			return
		}
		p.log.Info("upgrade: new process ready, draining this one", slog.Int("new_pid", pid), slog.Int("pid", os.Getpid()))
		p.notify("MAINPID=" + strconv.Itoa(pid)) // accepted from the main process under NotifyAccess=main too
		drain()
	}()
}

func (p *process) start() (int, error) {
	if p.exeErr != nil {
		return 0, fmt.Errorf("the binary's path is unknown: %w", p.exeErr)
	}
	p.log.Info("upgrade: starting the new process", slog.String("binary", p.exe), slog.Duration("timeout", p.timeout))
	return upgrade.Start(upgrade.Options{
		Path:      p.exe,
		Args:      p.args,
		Env:       os.Environ(),
		Listeners: p.handoff,
		Timeout:   p.timeout,
		Stdout:    os.Stdout,
		Stderr:    os.Stderr,
	})
}

// exit runs when the gateway has stopped: the PID file goes on a clean
// exit, and only if it still names this process (after an upgrade it names
// the new one).
func (p *process) exit(clean bool) {
	p.inherited.Close()
	if clean && p.pidfile != "" {
		if err := upgrade.RemovePIDFile(p.pidfile, os.Getpid()); err != nil && !os.IsNotExist(err) {
			p.log.Warn("pidfile not removed", slog.String("path", p.pidfile), slog.String("error", err.Error()))
		}
	}
}
