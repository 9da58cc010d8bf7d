package auth

import (
	"bytes"
	"fmt"
	"io"
	"os"
)

// maxFileBytes bounds a keys or users file: both are read whole at every
// reload.
const maxFileBytes = 4 << 20

// readFile reads a credentials file of at most maxFileBytes.
func readFile(field, path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", field, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %s: %w", field, path, err)
	}
	if len(data) > maxFileBytes {
		return nil, fmt.Errorf("%s: %s is larger than %d bytes", field, path, maxFileBytes)
	}
	return data, nil
}

// eachLine calls fn with every line of data that is not blank or a
// '#' comment, trimmed, and its 1-based number; it stops at fn's error.
func eachLine(data []byte, fn func(n int, line []byte) error) error {
	for n := 1; len(data) > 0; n++ {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		line = bytes.TrimSpace(line)
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		if err := fn(n, line); err != nil {
			return err
		}
	}
	return nil
}

// readKeysFile adds the keys of a keys file: one `name:sha256hex` a line.
// Errors name the file and line but never echo the line (it holds a hash).
func (k *APIKeys) readKeysFile(path string) error {
	data, err := readFile("keys_file", path)
	if err != nil {
		return err
	}
	return eachLine(data, func(n int, line []byte) error {
		i := bytes.LastIndexByte(line, ':')
		if i < 0 {
			return fmt.Errorf("keys_file: %s line %d: want name:sha256hex", path, n)
		}
		name := string(bytes.TrimSpace(line[:i]))
		if err := checkName(name); err != nil {
			return fmt.Errorf("keys_file: %s line %d: name: %v", path, n, err)
		}
		h, err := parseHash(string(bytes.TrimSpace(line[i+1:])))
		if err != nil {
			return fmt.Errorf("keys_file: %s line %d (%q): sha256: %v", path, n, name, err)
		}
		if prev, dup := k.byHash[h]; dup && prev != name {
			return fmt.Errorf("keys_file: %s line %d: the key of %q is already the key of %q", path, n, name, prev)
		}
		k.byHash[h] = name
		return nil
	})
}
