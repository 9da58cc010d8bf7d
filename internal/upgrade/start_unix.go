//go:build unix

package upgrade

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// Listener is a listening socket handed to the new process under a name.
type Listener struct {
	Name string
	Ln   net.Listener // a *net.TCPListener (or anything with File)
}

// Options say how to start the new process.
type Options struct {
	Path      string     // the binary: the file now at the running binary's path
	Args      []string   // its arguments, without the program name
	Env       []string   // its environment (EnvFDs is replaced)
	Listeners []Listener // the sockets it inherits
	Timeout   time.Duration
	// Stdout and Stderr are the new process's; nil is /dev/null. Pass files
	// (the old process's own), not pipes: a copying goroutine would end
	// with the old process.
	Stdout, Stderr *os.File
}

// Start starts the new process with the listeners and waits until it says
// it is ready. On success the new process runs on its own (the old one may
// exit; it is reaped here if the old one is still there when it ends). A
// new process that fails to start, exits, or is not ready within
// o.Timeout is killed and reaped, and the error says which.
func Start(o Options) (pid int, err error) {
	names := make([]string, 0, len(o.Listeners)+1)
	files := make([]*os.File, 0, len(o.Listeners)+1)
	defer func() {
		for _, f := range files {
			_ = f.Close() // the new process holds its own copies
		}
	}()
	for _, l := range o.Listeners {
		fl, ok := l.Ln.(interface{ File() (*os.File, error) })
		if !ok {
			return 0, fmt.Errorf("listener %s (%T) has no file descriptor to hand over", l.Name, l.Ln)
		}
		f, err := fl.File() // a duplicate: the old process keeps accepting on its own
		if err != nil {
			return 0, fmt.Errorf("listener %s: %w", l.Name, err)
		}
		names = append(names, l.Name)
		files = append(files, f)
	}
	r, w, err := os.Pipe()
	if err != nil {
		return 0, err
	}
	defer r.Close()
	names = append(names, ReadyName)
	files = append(files, w)

	cmd := exec.Command(o.Path, o.Args...)
	cmd.Env = append(withoutFDs(o.Env), EnvFDs+"="+formatFDs(names))
	cmd.ExtraFiles = files
	cmd.Stdout, cmd.Stderr = o.Stdout, o.Stderr
	if o.Stdout == nil {
		cmd.Stdout = nil
	}
	if o.Stderr == nil {
		cmd.Stderr = nil
	}
	if err := cmd.Start(); err != nil {
		return 0, fmt.Errorf("start %s: %w", o.Path, err)
	}
	_ = w.Close() // only the new process holds the write end now: its exit is EOF here
	files = files[:len(files)-1]

	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	ready := make(chan error, 1)
	go func() {
		line, err := bufio.NewReader(r).ReadString('\n')
		switch {
		case line == readyLine:
			ready <- nil
		case err != nil:
			ready <- errors.New("it closed the readiness pipe without saying it was ready")
		default:
			ready <- fmt.Errorf("it wrote %q on the readiness pipe", line)
		}
	}()
	timer := time.NewTimer(o.Timeout)
	defer timer.Stop()
	pid = cmd.Process.Pid
	var why error
	select {
	case err := <-ready:
		if err == nil {
			return pid, nil
		}
		// The pipe closes when the process exits: say it exited, and how,
		// when that is why.
		select {
		case werr := <-exited:
			return 0, fmt.Errorf("new process %d exited before it was ready: %w", pid, exitErr(werr))
		case <-time.After(200 * time.Millisecond):
			why = err
		}
	case err := <-exited:
		return 0, fmt.Errorf("new process %d exited before it was ready: %w", pid, exitErr(err))
	case <-timer.C:
		why = fmt.Errorf("it was not ready within %s", o.Timeout)
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	<-exited
	return 0, fmt.Errorf("new process %d killed: %w", pid, why)
}

// exitErr is the status a process ended with, "exit status 0" included.
func exitErr(err error) error {
	if err == nil {
		return errors.New("exit status 0")
	}
	return err
}
