package accesslog

import (
	"io"
	"testing"
)

// BenchmarkFormatJSON is the writer's work per line: one record formatted.
func BenchmarkFormatJSON(b *testing.B) {
	f, _ := newFormatter(FormatJSON, []string{"api_key"})
	var r Record
	sampleRecord(&r)
	buf := make([]byte, 0, 64<<10)
	b.ReportAllocs()
	for b.Loop() {
		buf = f.appendLine(buf[:0], &r)
	}
	_, _ = io.Discard.Write(buf)
}

// BenchmarkBeginCommit is the request path's work per line besides
// filling the fields: claiming and publishing a record (drained by a
// writer to io.Discard's equivalent, /dev/null).
func BenchmarkBeginCommit(b *testing.B) {
	l, err := Open(Options{Path: "/dev/null", Format: FormatJSON, Buffer: 4096})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	b.ReportAllocs()
	for b.Loop() {
		if r := l.Begin(); r != nil {
			r.SetString(Path, "/api/users/42")
			l.Commit(r)
		}
	}
}
