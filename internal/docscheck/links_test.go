package docscheck

import (
	"reflect"
	"testing"
)

func TestSlug(t *testing.T) {
	for heading, want := range map[string]string{
		"Top level (`premier:`)":             "top-level-premier",
		"`lb.health_check`":                  "lbhealth_check",
		"Two builds side by side (A/B)":      "two-builds-side-by-side-ab",
		"What the gateway answers itself":    "what-the-gateway-answers-itself",
		"See [routing](routing.md) first":    "see-routing-first",
		"Différences — Python vs Go":         "différences--python-vs-go",
		"Timeouts, retries and breakers":     "timeouts-retries-and-breakers",
		"HTTP/1.0 and keep-alive":            "http10-and-keep-alive",
		"**bold** words":                     "bold-words",
		"Cost growth: 1 → 16 backends":       "cost-growth-1--16-backends",
		"  trimmed  ":                        "trimmed",
		"The `X-Forwarded-*` headers, again": "the-x-forwarded--headers-again",
	} {
		if got := Slug(heading); got != want {
			t.Errorf("Slug(%q) = %q, want %q", heading, got, want)
		}
	}
}

func TestAnchors(t *testing.T) {
	d := NewDoc("a.md", "# Title\n## Usage\n## Usage\n## Usage\n"+
		"```\n# not a heading\n```\n"+
		"#not-a-heading-either\n"+
		"    # indented code, not a heading\n"+
		"<a id=\"custom\"></a>\n"+
		"### Closed ATX ###\n")
	got := d.Anchors()
	want := map[string]bool{"title": true, "usage": true, "usage-1": true, "usage-2": true, "custom": true, "closed-atx": true}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Anchors = %v, want %v", got, want)
	}
}

func TestLinks(t *testing.T) {
	d := NewDoc("docs/x.md", "see [a](a.md) and ![shot](shot.png \"title\")\n"+
		"`[not](a-link.md)` but [yes](<with space.md>)\n"+
		"```md\n[in a block](nope.md)\n```\n"+
		"[ref]: ../README.md#top\n"+
		"<img src=\"img.png\"> [paren](a_(b).md)\n")
	var got []Link
	got = append(got, d.Links()...)
	want := []Link{
		{1, "a.md"}, {1, "shot.png"},
		{2, "with space.md"},
		{6, "../README.md#top"},
		{7, "a_(b).md"}, {7, "img.png"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Links:\n got %v\nwant %v", got, want)
	}
}

func TestCheckLinks(t *testing.T) {
	root := t.TempDir()
	write(t, root, "bench/RESULTS.md", "# Results\n## Headline at 851ddae\n")
	write(t, root, "docs/shot.png", "png")
	write(t, root, "docs/dir/.keep", "")
	readme := "# Premier\n" +
		"[ok](docs/a.md) [img](docs/shot.png) [dir](docs/dir/) [web](https://example.com/x) [mail](mailto:a@b.c)\n" + // 2
		"[anchor](docs/a.md#fields) [self](#premier) [results](bench/RESULTS.md#headline-at-851ddae)\n" + // 3
		"[missing](docs/missing.md)\n" + // 4
		"[outside](../elsewhere/notes.md)\n" + // 5
		"[absolute](/docs/a.md)\n" + // 6
		"[bad anchor](docs/a.md#nope) [bad self](#nope)\n" + // 7
		"[file](file:///etc/passwd) [query](docs/a.md?plain=1)\n" // 8
	write(t, root, "README.md", readme)
	write(t, root, "docs/a.md", "# A\n## Fields\n[up](../README.md#premier) [escape](../../x.md) [sp](my%20file.md)\n")
	write(t, root, "docs/my file.md", "# spaced\n")
	docs, err := ReadDocs(root)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range CheckLinks(root, docs) {
		got = append(got, p.String())
	}
	want := []string{
		"README.md:4: link docs/missing.md: docs/missing.md does not exist",
		"README.md:5: link ../elsewhere/notes.md: points outside the repository",
		"README.md:6: link /docs/a.md: write it relative to README.md",
		"README.md:7: link docs/a.md#nope: no heading in docs/a.md has the anchor #nope",
		"README.md:7: link #nope: no heading in README.md has the anchor #nope",
		"README.md:8: link file:///etc/passwd: only http, https and mailto links leave the repository",
		"docs/a.md:3: link ../../x.md: points outside the repository",
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("CheckLinks:\n got %q\nwant %q", got, want)
	}
}
