package docscheck

import (
	"os"
	"path/filepath"
)

// GeneratedArchitecture returns docs/architecture.md under root as it is
// (current) and with its package graph regenerated from `go list` (want).
func GeneratedArchitecture(gocmd, root string) (current, want string, err error) {
	data, err := os.ReadFile(filepath.Join(root, ArchitecturePage))
	if err != nil {
		return "", "", err
	}
	module, pkgs, err := ListPackages(gocmd, root)
	if err != nil {
		return "", "", err
	}
	want, err = ReplaceGraph(string(data), PackageGraph(module, pkgs))
	return string(data), want, err
}

// CheckArchitecture reports a problem when the package graph of
// docs/architecture.md differs from what WriteArchitecture would write.
func CheckArchitecture(gocmd, root string) ([]Problem, error) {
	current, want, err := GeneratedArchitecture(gocmd, root)
	if err != nil {
		return nil, err
	}
	if current != want {
		return []Problem{{File: ArchitecturePage, Msg: "the package graph differs from `go list`: run `make docs-arch`"}}, nil
	}
	return nil, nil
}

// WriteArchitecture regenerates the package graph of docs/architecture.md.
// It reports whether the file changed.
func WriteArchitecture(gocmd, root string) (bool, error) {
	current, want, err := GeneratedArchitecture(gocmd, root)
	if err != nil || current == want {
		return false, err
	}
	return true, os.WriteFile(filepath.Join(root, ArchitecturePage), []byte(want), 0o644)
}
