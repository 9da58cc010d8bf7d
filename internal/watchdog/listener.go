package watchdog

import "net"

// Listener wraps ln so that every accepted connection is watched by w.
func (w *Watchdog) Listener(ln net.Listener) net.Listener { return listener{ln, w} }

type listener struct {
	net.Listener
	w *Watchdog
}

func (l listener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return l.w.Wrap(c), nil
}
