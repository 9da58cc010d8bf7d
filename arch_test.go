package main

import (
	"bufio"
	"fmt"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The import rules between the module's packages, the ones
// docs/architecture.md lists under "Import rules". They are checked on the
// source rather than trusted to review: a leaf that starts importing the
// request path compiles fine until the day it makes a cycle, and by then the
// boundary is gone.

const modulePath = "github.com/premier-gateway/premier"

// leaves are the packages the request path, the configuration and the metrics
// build on. proxy/wsrelay is one, so its rule is theirs.
var leaves = []string{"limiter", "cache", "resilience", "lb", "proxy/route", "proxy/wsrelay", "proxy/auth", "ui/source"}

// importRule binds the packages of from: when only is set they may import no
// module package outside it, and they never import a package of never.
// Patterns name packages by their directory in the module: "." is the root
// (the command), "internal/..." is internal and every package below it, "..."
// is every package. proxy, the root and bench/* are bound by the last rule
// only: they may import any module package but the root.
type importRule struct {
	name  string
	from  []string
	only  []string
	never []string
	why   string
}

var importRules = []importRule{
	{name: "leaves", from: leaves, only: []string{"internal/..."},
		why: "everything else builds on the leaves; one importing proxy, ui or another leaf ties two concerns together and is a cycle waiting to happen"},
	{name: "internal", from: []string{"internal/..."}, only: []string{"internal/..."},
		why: "internal/* is the bottom layer (socket code, small shared helpers, test helpers) that any package may use"},
	{name: "access", from: []string{"proxy/access"}, only: []string{"proxy/route", "internal/..."},
		why: "access decisions (IP filter, CORS) build on route's matchers and nothing else: the request path drives them, the configuration holds their Config types"},
	{name: "config", from: []string{"proxy/config"}, only: []string{"lb", "limiter", "cache", "resilience", "proxy/route", "proxy/access", "proxy/auth", "proxy/compress", "proxy/accesslog", "proxy/tracing", "internal/..."},
		why: "the configuration is data and validation: the leaves' Config types (tracing's block among them; auth's compiles its credential files, so a bad one is a problem of the config) and route patterns, never the request path, transport, relay, metrics or dashboard"},
	{name: "compress", from: []string{"proxy/compress"}, only: []string{"internal/..."},
		why: "response compression decides and encodes on a fasthttp response: the request path runs it and the cache keeps its bodies, so it knows neither"},
	{name: "edge", from: []string{"proxy/edge"}, only: []string{"proxy/config", "internal/..."},
		why: "TLS termination hands connections on; it knows the tls block, not the request path, the transport or the dashboard"},
	{name: "upstream", from: []string{"proxy/upstream"}, only: []string{"lb", "internal/..."},
		why: "the transport knows backends and sockets, not the gateway that drives it, its configuration or its metrics"},
	{name: "h2", from: []string{"proxy/h2"}, only: []string{"internal/..."},
		why: "the HTTP/2 server serves any fasthttp.RequestHandler: it knows the gateway only as that handler, so there is one request path"},
	{name: "metrics", from: []string{"proxy/metrics"}, only: slices.Concat(leaves, []string{"internal/..."}),
		why: "the request path records into the collector, so the collector cannot reach back into proxy, its configuration, the transport or the dashboard"},
	{name: "accesslog", from: []string{"proxy/accesslog"}, only: []string{"internal/..."},
		why: "the access log formats and writes records the request path copies into it: it knows neither the request path nor the configuration"},
	{name: "tracing", from: []string{"proxy/tracing"}, only: []string{"internal/..."},
		why: "trace context and span export are handed plain values by the request path: no configuration, request path, transport or metrics"},
	{name: "acme", from: []string{"proxy/acme"}, only: []string{"internal/..."},
		why: "ACME certificates are handed plain options by the gateway: no configuration, request path or metrics"},
	{name: "ui", from: []string{"ui"}, only: []string{"ui/source", "internal/..."},
		why: "the dashboard reads a running gateway only through the ui/source interface"},
	{name: "upgrade", from: []string{"internal/upgrade", "internal/loadgen"}, only: []string{},
		why: "the binary upgrade's process plumbing (descriptors, readiness pipe, sd_notify, PID file) and the traffic generator that proves it are standard-library code: the command wires the first to the gateway's drain, tests and bench/loadgen drive the second"},
	{name: "root", from: []string{"..."}, never: []string{"."},
		why: "the root is the command (package main): its wiring belongs to no other package, bench tools included"},
}

// TestArchImportRules parses every non-test Go file of the module, whatever
// its build constraints (a Windows-only file must not break a rule unseen on
// Linux), and reports each import of a module package that a rule forbids.
func TestArchImportRules(t *testing.T) {
	checkModulePath(t)
	imports, pkgs := moduleImports(t)

	for _, r := range importRules {
		for _, p := range slices.Concat(r.from, r.only, r.never) {
			if !slices.ContainsFunc(pkgs, func(pkg string) bool { return matchPackage(p, pkg) }) {
				t.Errorf("rule %q names %s, which matches no package of the module: update the rules after a move", r.name, p)
			}
		}
	}

	for _, imp := range imports {
		for _, r := range importRules {
			if !matchAny(r.from, imp.from) {
				continue
			}
			switch {
			case r.only != nil && !matchAny(r.only, imp.to):
				t.Errorf("%s: %s imports %s, breaking rule %q (%s may import only %s of the module): %s",
					imp.pos, show(imp.from), show(imp.to), r.name, show(imp.from), showAll(r.only), r.why)
			case matchAny(r.never, imp.to):
				t.Errorf("%s: %s imports %s, breaking rule %q (%s: never %s): %s",
					imp.pos, show(imp.from), show(imp.to), r.name, showAll(r.from), showAll(r.never), r.why)
			}
		}
	}
}

// moduleImport is one import of a module package: both packages as their
// directory in the module, and where the import is written.
type moduleImport struct {
	from, to string
	pos      token.Position
}

// moduleImports walks the module the way the go command does (no testdata,
// no directory starting with "." or "_", no nested module) and returns every
// import of a module package in a non-test file, and the packages found.
func moduleImports(t *testing.T) ([]moduleImport, []string) {
	t.Helper()
	fset := token.NewFileSet()
	var imports []moduleImport
	var pkgs []string
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path == "." {
				return nil
			}
			if name == "testdata" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") {
				return filepath.SkipDir
			}
			if _, err := os.Stat(filepath.Join(path, "go.mod")); err == nil {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") ||
			strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") {
			return nil
		}
		pkg := filepath.ToSlash(filepath.Dir(path))
		if !slices.Contains(pkgs, pkg) {
			pkgs = append(pkgs, pkg)
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		for _, spec := range f.Imports {
			ipath, err := strconv.Unquote(spec.Path.Value)
			if err != nil {
				return fmt.Errorf("%s: %w", fset.Position(spec.Pos()), err)
			}
			to, ok := modulePackage(ipath)
			if ok {
				imports = append(imports, moduleImport{from: pkg, to: to, pos: fset.Position(spec.Pos())})
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return imports, pkgs
}

// checkModulePath fails when go.mod names another module: every import would
// then look external and the rules would pass on nothing.
func checkModulePath(t *testing.T) {
	t.Helper()
	f, err := os.Open("go.mod")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "module "); ok {
			if got := strings.Trim(strings.TrimSpace(rest), `"`); got != modulePath {
				t.Fatalf("go.mod names module %s, the import rules expect %s", got, modulePath)
			}
			return
		}
	}
	t.Fatalf("go.mod has no module line (%v)", sc.Err())
}

// modulePackage returns an import path's directory in the module, and false
// for a package outside it.
func modulePackage(ipath string) (string, bool) {
	if ipath == modulePath {
		return ".", true
	}
	rest, ok := strings.CutPrefix(ipath, modulePath+"/")
	return rest, ok
}

// show names a package or pattern in a failure message.
func show(pkg string) string {
	switch pkg {
	case ".":
		return "the root package"
	case "...":
		return "every package"
	}
	return pkg
}

func showAll(patterns []string) string {
	names := make([]string, len(patterns))
	for i, p := range patterns {
		names[i] = show(p)
	}
	return strings.Join(names, ", ")
}

func matchAny(patterns []string, pkg string) bool {
	return slices.ContainsFunc(patterns, func(p string) bool { return matchPackage(p, pkg) })
}

func matchPackage(pattern, pkg string) bool {
	if pattern == "..." {
		return true
	}
	if dir, ok := strings.CutSuffix(pattern, "/..."); ok {
		return pkg == dir || strings.HasPrefix(pkg, dir+"/")
	}
	return pkg == pattern
}
