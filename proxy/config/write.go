package config

import (
	"errors"
	"os"
	"path/filepath"
)

// BackupDir is the directory, next to the config file, that holds the
// gateway's own copies of it (BackupPath): one name to ignore in a
// repository (the project's .gitignore lists it), away from the files an
// operator edits.
const BackupDir = ".premier"

// BackupPath is where WriteFile keeps path's previous content:
// DIR/.premier/NAME.prev for the config file DIR/NAME.
func BackupPath(path string) string {
	return filepath.Join(filepath.Dir(path), BackupDir, filepath.Base(path)+".prev")
}

// WriteFile replaces path with data atomically (a temporary file in
// the same directory, synced, then renamed over it), first keeping the
// current content in BackupPath(path) the same way (its directory made
// owner-only: the file may hold credentials). The file mode is kept.
func WriteFile(path string, data []byte) error {
	mode := os.FileMode(0o644)
	if st, err := os.Stat(path); err == nil {
		mode = st.Mode().Perm()
		if old, err := os.ReadFile(path); err == nil {
			prev := BackupPath(path)
			if err := os.MkdirAll(filepath.Dir(prev), 0o700); err != nil {
				return err
			}
			if err := writeAtomic(prev, old, mode); err != nil {
				return err
			}
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return writeAtomic(path, data, mode)
}

func writeAtomic(path string, data []byte, mode os.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			os.Remove(tmp)
		}
	}()
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Chmod(mode); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	ok = true
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		d.Sync() // make the rename durable; best effort
		d.Close()
	}
	return nil
}
