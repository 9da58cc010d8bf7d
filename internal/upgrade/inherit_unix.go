//go:build unix

package upgrade

import (
	"fmt"
	"net"
	"os"
	"strconv"
	"syscall"
)

// Inheritance is what a new process got from the old one: listeners by name
// and the readiness pipe.
type Inheritance struct {
	lns   map[string]net.Listener
	ready *os.File
}

// Inherited takes over the descriptors EnvFDs names and removes the
// variable from the environment (a later upgrade passes its own). Without
// the variable it returns nil, nil: the process was started fresh.
func Inherited() (*Inheritance, error) {
	v, ok := os.LookupEnv(EnvFDs)
	if !ok {
		return nil, nil
	}
	_ = os.Unsetenv(EnvFDs)
	fds, err := parseFDs(v)
	if err != nil {
		return nil, err
	}
	in := &Inheritance{lns: map[string]net.Listener{}}
	for name, fd := range fds {
		syscall.CloseOnExec(fd) // never leaked to anything this process starts
		f := os.NewFile(uintptr(fd), name)
		if name == ReadyName {
			in.ready = f
			continue
		}
		ln, err := net.FileListener(f) // a duplicate, non-blocking, on the poller
		_ = f.Close()
		if err != nil {
			in.Close()
			return nil, fmt.Errorf("inherited listener %s (fd %s): %w", name, strconv.Itoa(fd), err)
		}
		in.lns[name] = ln
	}
	return in, nil
}

// Listener hands over the inherited listener of that name (nil when there
// is none); it is the caller's from then on.
func (in *Inheritance) Listener(name string) net.Listener {
	if in == nil {
		return nil
	}
	ln := in.lns[name]
	delete(in.lns, name)
	return ln
}

// Ready tells the old process this one serves: it may drain and exit.
func (in *Inheritance) Ready() error {
	if in == nil || in.ready == nil {
		return nil
	}
	_, err := in.ready.WriteString(readyLine)
	if cerr := in.ready.Close(); err == nil {
		err = cerr
	}
	in.ready = nil
	return err
}

// Close closes what was not taken: listeners the new configuration has no
// use for, and the readiness pipe of a process that failed (the old one
// then reads EOF and keeps serving).
func (in *Inheritance) Close() {
	if in == nil {
		return
	}
	for name, ln := range in.lns {
		_ = ln.Close()
		delete(in.lns, name)
	}
	if in.ready != nil {
		_ = in.ready.Close()
		in.ready = nil
	}
}
