// Command cmd runs the documentation checks of package docscheck:
//
//	go run ./internal/docscheck/cmd -premier bin/premier   check README.md and docs/ (make docs-check)
//	go run ./internal/docscheck/cmd -write-arch            regenerate docs/architecture.md's package graph (make docs-arch)
//
// It exits 1 when a check fails, printing each problem as FILE:LINE: message.
// Warnings premier -check gives on an example are printed but do not fail
// it (the plugin-mode example has no servers, by design).
package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/premier-gateway/premier/internal/docscheck"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("docscheck", flag.ContinueOnError)
	fs.SetOutput(stderr)
	root := fs.String("root", ".", "repository root")
	premier := fs.String("premier", "bin/premier", "premier binary to run -check with")
	gocmd := fs.String("go", "go", "go command, for `go list`")
	writeArch := fs.Bool("write-arch", false, "regenerate the package graph of "+docscheck.ArchitecturePage+" and exit")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *writeArch {
		changed, err := docscheck.WriteArchitecture(*gocmd, *root)
		if err != nil {
			fmt.Fprintln(stderr, "docs-arch:", err)
			return 1
		}
		if changed {
			fmt.Fprintln(stdout, "docs-arch: rewrote the package graph of", docscheck.ArchitecturePage)
		} else {
			fmt.Fprintln(stdout, "docs-arch: package graph up to date")
		}
		return 0
	}

	docs, err := docscheck.ReadDocs(*root)
	if err != nil {
		fmt.Fprintln(stderr, "docs-check:", err)
		return 1
	}
	checked, probs, warnings, err := docscheck.CheckExamples(*premier, docs, docscheck.DefaultFixtures())
	if err != nil {
		fmt.Fprintln(stderr, "docs-check:", err)
		return 1
	}
	probs = append(probs, docscheck.CheckLinks(*root, docs)...)
	arch, err := docscheck.CheckArchitecture(*gocmd, *root)
	if err != nil {
		fmt.Fprintln(stderr, "docs-check:", err)
		return 1
	}
	probs = append(probs, arch...)
	for _, w := range warnings { // premier -check passed these: shown, not failed
		fmt.Fprintln(stdout, w)
	}
	for _, p := range probs {
		fmt.Fprintln(stderr, p)
	}
	if len(probs) > 0 {
		fmt.Fprintf(stderr, "docs-check: %d problem(s)\n", len(probs))
		return 1
	}
	fmt.Fprintf(stdout, "docs-check: %d files, %d complete YAML examples pass premier -check, links resolve, package graph up to date\n",
		len(docs), checked)
	return 0
}
