package upgrade

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
)

// WritePIDFile writes pid to path atomically: a temporary file in the same
// directory, renamed over path, so a reader never sees it half written.
func WritePIDFile(path string, pid int) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	_, err = tmp.WriteString(strconv.Itoa(pid) + "\n")
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		_ = os.Remove(tmp.Name())
	}
	return err
}

// ReadPIDFile returns the PID path holds.
func ReadPIDFile(path string) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(string(bytes.TrimSpace(b)))
}

// RemovePIDFile removes path only if it holds pid: after an upgrade the
// file names the new process, and the old one exiting must leave it.
func RemovePIDFile(path string, pid int) error {
	if got, err := ReadPIDFile(path); err != nil || got != pid {
		return err
	}
	return os.Remove(path)
}
