package docscheck

import (
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestParseGoList(t *testing.T) {
	out := "example.com/m/b example.com/m/a fmt\n" +
		"example.com/m example.com/m/b example.com/mother os\n" + // a module with a longer name is not ours
		"\n" +
		"example.com/m/a\n"
	got := ParseGoList("example.com/m", out)
	want := []Package{
		{Path: "example.com/m", Imports: []string{"example.com/m/b"}},
		{Path: "example.com/m/a"},
		{Path: "example.com/m/b", Imports: []string{"example.com/m/a"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("ParseGoList:\n got %#v\nwant %#v", got, want)
	}
}

func TestPackageGraph(t *testing.T) {
	got := PackageGraph("example.com/m", []Package{
		{Path: "example.com/m", Imports: []string{"example.com/m/proxy"}},
		{Path: "example.com/m/internal/test-help"},
		{Path: "example.com/m/proxy", Imports: []string{"example.com/m/proxy/route"}},
		{Path: "example.com/m/proxy/route"},
	})
	want := "```mermaid\ngraph LR\n" +
		"  main[\"premier (main)\"]\n" +
		"  proxy[\"proxy\"]\n" +
		"  proxy_route[\"proxy/route\"]\n" +
		"  main --> proxy\n" +
		"  proxy --> proxy_route\n" +
		"  subgraph standalone[\"no module-internal imports either way\"]\n" +
		"    internal_test_help[\"internal/test-help\"]\n" +
		"  end\n" +
		"```\n"
	if got != want {
		t.Fatalf("PackageGraph:\n%s\nwant:\n%s", got, want)
	}
}

func TestReplaceGraph(t *testing.T) {
	page := "# A\n" + GraphBegin + "\nold\n" + GraphEnd + "\ntail\n"
	got, err := ReplaceGraph(page, "new\n")
	if err != nil {
		t.Fatal(err)
	}
	if want := "# A\n" + GraphBegin + "\nnew\n" + GraphEnd + "\ntail\n"; got != want {
		t.Fatalf("ReplaceGraph = %q, want %q", got, want)
	}
	for _, bad := range []string{"# no markers\n", GraphEnd + "\n" + GraphBegin + "\n", GraphBegin + "\n"} {
		if _, err := ReplaceGraph(bad, "new\n"); err == nil {
			t.Errorf("ReplaceGraph(%q): no error", bad)
		}
	}
}

// TestArchitectureFollowsGoList runs the real go command on a small module:
// the check fails until WriteArchitecture rewrites the graph, then passes,
// and fails again when a package starts importing another.
func TestArchitectureFollowsGoList(t *testing.T) {
	gocmd, err := exec.LookPath("go")
	if err != nil {
		t.Fatal("the go command is needed: ", err)
	}
	root := t.TempDir()
	write(t, root, "go.mod", "module example.com/m\n\ngo 1.22\n")
	write(t, root, "main.go", "package main\n\nimport _ \"example.com/m/a\"\n\nfunc main() {}\n")
	write(t, root, "a/a.go", "package a\n")
	write(t, root, "b/b.go", "package b\n")
	write(t, root, ArchitecturePage, "# Architecture\n\n"+GraphBegin+"\n"+GraphEnd+"\n\nAfter.\n")

	probs, err := CheckArchitecture(gocmd, root)
	if err != nil || len(probs) != 1 || !strings.Contains(probs[0].String(), "make docs-arch") {
		t.Fatalf("before docs-arch: %v, %v; want one problem naming make docs-arch", probs, err)
	}
	if changed, err := WriteArchitecture(gocmd, root); err != nil || !changed {
		t.Fatalf("WriteArchitecture: changed %v, %v", changed, err)
	}
	if probs, err := CheckArchitecture(gocmd, root); err != nil || len(probs) != 0 {
		t.Fatalf("after docs-arch: %v, %v", probs, err)
	}
	page, err := os.ReadFile(filepath.Join(root, ArchitecturePage))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"main --> a\n", "    b[\"b\"]\n", "\n\nAfter.\n"} {
		if !strings.Contains(string(page), want) {
			t.Errorf("page lacks %q:\n%s", want, page)
		}
	}
	if changed, err := WriteArchitecture(gocmd, root); err != nil || changed {
		t.Fatalf("second WriteArchitecture: changed %v, %v", changed, err)
	}

	write(t, root, "b/b.go", "package b\n\nimport _ \"example.com/m/a\"\n")
	if probs, err := CheckArchitecture(gocmd, root); err != nil || len(probs) != 1 {
		t.Fatalf("after b imports a: %v, %v; want the graph to be stale", probs, err)
	}
}
