package upgrade

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// EnvFDs names the environment variable that tells the new process which
// inherited file descriptor is which: "plain:3,tls:4,ready:5". Names other
// than ReadyName are listeners.
const EnvFDs = "PREMIER_UPGRADE_FDS"

// ReadyName is the name of the descriptor the new process writes its
// readiness line to (the write end of a pipe the old process reads).
const ReadyName = "ready"

// readyLine is what the new process writes once it serves.
const readyLine = "READY=1\n"

// firstExtraFD is the descriptor number of exec.Cmd.ExtraFiles[0] in the
// new process (0, 1 and 2 are stdin, stdout and stderr).
const firstExtraFD = 3

// ErrUnsupported is returned where the platform has no descriptor passing.
var ErrUnsupported = errors.New("binary upgrades need Unix (file descriptor inheritance and SIGUSR2)")

// formatFDs is the value of EnvFDs for names given as ExtraFiles in order.
func formatFDs(names []string) string {
	var b strings.Builder
	for i, n := range names {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(n)
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(firstExtraFD + i))
	}
	return b.String()
}

// parseFDs reads a value of EnvFDs back: each name with its descriptor.
func parseFDs(v string) (map[string]int, error) {
	fds := map[string]int{}
	for _, item := range strings.Split(v, ",") {
		name, num, ok := strings.Cut(item, ":")
		fd, err := strconv.Atoi(num)
		if !ok || name == "" || err != nil || fd < firstExtraFD {
			return nil, fmt.Errorf("%s=%q: want name:fd pairs, fd >= %d", EnvFDs, v, firstExtraFD)
		}
		if _, dup := fds[name]; dup {
			return nil, fmt.Errorf("%s=%q: %s named twice", EnvFDs, v, name)
		}
		fds[name] = fd
	}
	return fds, nil
}

// withoutFDs is env without EnvFDs: what a process passes on is never the
// handoff it got itself.
func withoutFDs(env []string) []string {
	out := make([]string, 0, len(env)+1)
	for _, kv := range env {
		if !strings.HasPrefix(kv, EnvFDs+"=") {
			out = append(out, kv)
		}
	}
	return out
}
