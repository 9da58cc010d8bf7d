//go:build !unix

package redistest

import (
	"errors"
	"os"
)

// errNoPause: without Unix signals a process cannot be paused, so a test
// that needs a paused server fails (Pause) instead of testing something
// else.
var errNoPause = errors.New("redistest: pausing redis-server needs SIGSTOP, which this platform lacks")

func pause(*os.Process) error { return errNoPause }

func resume(*os.Process) error { return nil }
