// Package docscheck keeps the repository's documentation honest. It owns
// three checks that `make docs-check` runs over README.md and docs/:
//
//   - every complete YAML example (a fenced yaml block whose first
//     non-comment line starts with `premier:`) passes `premier -check`,
//     run with the environment variables and files the examples name
//     ([Fixtures]); blocks that do not start with `premier:` are fragments
//     and are not checked;
//   - every relative link resolves to a file (and heading) inside the
//     repository;
//   - the package graph in docs/architecture.md, between [GraphBegin] and
//     [GraphEnd], is what `go list` says today ([PackageGraph]); `make
//     docs-arch` rewrites it.
//
// The checks run the premier binary and the go command as subprocesses, so
// this package imports nothing of the gateway: the documentation is checked
// against what the binary does, not against its internals.
package docscheck
