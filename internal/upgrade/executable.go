package upgrade

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Executable is the path of the running binary as it was started, decided
// once at start: os.Args[0] made absolute when it holds a '/' (so a
// symlink the operator swaps, /usr/local/bin/premier -> premier-1.2, is
// followed again on upgrade), else what the PATH lookup finds, else
// os.Executable. It is a path, never the running file's inode: a binary
// replaced at that path (new file renamed over it, the old one now
// "(deleted)" in /proc/self/exe) is what an upgrade starts.
func Executable() (string, error) {
	arg0 := ""
	if len(os.Args) > 0 {
		arg0 = os.Args[0]
	}
	if strings.ContainsRune(arg0, filepath.Separator) || strings.ContainsRune(arg0, '/') {
		return filepath.Abs(arg0)
	}
	if arg0 != "" {
		if p, err := exec.LookPath(arg0); err == nil {
			return filepath.Abs(p)
		}
	}
	p, err := os.Executable()
	return strings.TrimSuffix(p, " (deleted)"), err
}
