package docscheck

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestBlocks(t *testing.T) {
	d := NewDoc("x.md", "intro\n"+
		"```yaml\n"+ // line 2
		"premier:\n"+
		"  listen: \":8000\"\n"+
		"```\n"+
		"- a list item:\n"+
		"  ~~~~yml {title=x}\n"+ // line 7: indented, longer tilde fence, attributes
		"  # a comment first\n"+
		"  premier:\n"+
		"  ~~~\n"+ // too short to close a four-tilde fence
		"  ~~~~\n"+
		"```sh\n"+ // line 12
		"make run\n"+
		"```\n"+
		"``inline `code` span``\n"+
		"```\n"+ // line 16: unclosed, runs to the end
		"retry: {max_attempts: 3}\n")
	got := d.Blocks()
	want := []Block{
		{Doc: "x.md", Line: 3, Info: "yaml", Text: "premier:\n  listen: \":8000\""},
		{Doc: "x.md", Line: 8, Info: "yml", Text: "# a comment first\npremier:\n~~~"},
		{Doc: "x.md", Line: 13, Info: "sh", Text: "make run"},
		{Doc: "x.md", Line: 17, Info: "", Text: "retry: {max_attempts: 3}"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Blocks:\n got %#v\nwant %#v", got, want)
	}
	for i, complete := range []bool{true, true, false, false} {
		if got[i].Complete() != complete {
			t.Errorf("block %d: Complete() = %v, want %v", i, !complete, complete)
		}
	}
}

func TestComplete(t *testing.T) {
	for text, want := range map[string]bool{
		"premier:\n  servers: []":                 true,
		"\n# gateway.yaml\n\npremier:":            true,
		"premier: {listen: \":8000\"}":            true,
		"  premier:":                              false, // nested: a fragment of something
		"lb:\n  passive_health: {}":               false,
		"# premier:\nretry: {per_try_timeout: 1}": false,
		"": false,
	} {
		if got := (Block{Text: text}).Complete(); got != want {
			t.Errorf("Complete(%q) = %v, want %v", text, got, want)
		}
	}
}

func TestReadDocs(t *testing.T) {
	root := t.TempDir()
	write(t, root, "README.md", "# r\n")
	write(t, root, "docs/b.md", "# b\n")
	write(t, root, "docs/a.md", "# a\n")
	write(t, root, "docs/sub/c.md", "# c\n")
	write(t, root, "docs/shot.png", "png")
	write(t, root, "other/d.md", "# not documentation\n")
	docs, err := ReadDocs(root)
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, d := range docs {
		paths = append(paths, d.Path)
	}
	if want := []string{"README.md", "docs/a.md", "docs/b.md", "docs/sub/c.md"}; !reflect.DeepEqual(paths, want) {
		t.Fatalf("ReadDocs: %v, want %v", paths, want)
	}
}

func write(t *testing.T, root, rel, content string) {
	t.Helper()
	p := filepath.Join(root, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
