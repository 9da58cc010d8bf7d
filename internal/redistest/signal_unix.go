//go:build unix

package redistest

import (
	"os"
	"syscall"
)

// pause stops p (SIGSTOP): its connections stay open, nothing answers.
func pause(p *os.Process) error { return p.Signal(syscall.SIGSTOP) }

// resume continues a paused p (SIGCONT).
func resume(p *os.Process) error { return p.Signal(syscall.SIGCONT) }
