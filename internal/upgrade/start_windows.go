package upgrade

import (
	"net"
	"os"
	"time"
)

// Listener is a listening socket handed to the new process under a name.
type Listener struct {
	Name string
	Ln   net.Listener
}

// Options say how to start the new process.
type Options struct {
	Path           string
	Args           []string
	Env            []string
	Listeners      []Listener
	Timeout        time.Duration
	Stdout, Stderr *os.File
}

// Start reports ErrUnsupported: Windows has no descriptor inheritance by
// number and no SIGUSR2.
func Start(Options) (int, error) { return 0, ErrUnsupported }
