package accesslog

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func sampleRecord(r *Record) {
	r.reset()
	r.Time = time.Date(2026, 12, 7, 17, 31, 9, 123456789, time.UTC)
	r.Status, r.BytesIn, r.BytesOut = 200, 5, 1234
	r.Duration, r.UpstreamTime = 1500*time.Microsecond, 1250*time.Microsecond
	r.Upstream, r.Rule, r.Cache, r.Consumer, r.TLS = "http://10.0.0.1:8080", "/api/*", "MISS", "alice", "TLSv1.3"
	r.Retries, r.Limited = 1, false
	r.SetString(RequestID, "rid-1")
	r.SetString(ClientIP, "192.0.2.7")
	r.SetString(Method, "GET")
	r.SetString(Proto, "HTTP/1.1")
	r.SetString(Host, "api.example.com")
	r.SetString(Path, "/api/users")
	r.SetString(Query, "a=1&api_key=s3cret&api%5Fkey=s3cret2&b=\"x\"")
	r.SetString(UserAgent, "curl/8.0 \"quoted\"")
	r.SetString(Referer, "")
}

// The combined line is nginx's, byte for byte (the consumer as the remote
// user, the secret query values replaced, quotes escaped as \x22).
func TestCombinedLineExact(t *testing.T) {
	f, err := newFormatter(FormatCombined, []string{"api_key"})
	if err != nil {
		t.Fatal(err)
	}
	var r Record
	sampleRecord(&r)
	got := string(f.appendLine(nil, &r))
	want := `192.0.2.7 - alice [07/Dec/2026:17:31:09 +0000] "GET /api/users?a=1&api_key=REDACTED&api%5Fkey=REDACTED&b=\x22x\x22 HTTP/1.1" 200 1234 "-" "curl/8.0 \x22quoted\x22"` + "\n"
	if got != want {
		t.Fatalf("combined:\n got %q\nwant %q", got, want)
	}
}

// Every JSON field, in the documented order, with its type.
func TestJSONLineFields(t *testing.T) {
	f, _ := newFormatter(FormatJSON, []string{"api_key"})
	var r Record
	sampleRecord(&r)
	line := f.appendLine(nil, &r)
	var m map[string]any
	if err := json.Unmarshal(line, &m); err != nil {
		t.Fatalf("%s: %v", line, err)
	}
	want := map[string]any{
		"time": "2026-12-07T17:31:09.123Z", "request_id": "rid-1", "client_ip": "192.0.2.7", "method": "GET",
		"host": "api.example.com", "path": "/api/users", "query": `a=1&api_key=REDACTED&api%5Fkey=REDACTED&b="x"`,
		"proto": "HTTP/1.1", "status": 200.0, "bytes_in": 5.0, "bytes_out": 1234.0, "duration_ms": 1.5,
		"upstream": "http://10.0.0.1:8080", "upstream_ms": 1.25, "rule": "/api/*", "cache": "MISS",
		"limited": false, "retries": 1.0, "consumer": "alice", "user_agent": `curl/8.0 "quoted"`, "referer": "", "tls": "TLSv1.3",
	}
	if len(m) != len(want) || len(Variables) != len(want) {
		t.Fatalf("fields: %d, want %d: %s", len(m), len(want), line)
	}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("%s = %#v, want %#v", k, m[k], v)
		}
	}
	for i := 1; i < len(Variables); i++ {
		if strings.Index(string(line), `"`+Variables[i-1]+`":`) > strings.Index(string(line), `"`+Variables[i]+`":`) {
			t.Fatalf("field order: %s before %s in %s", Variables[i], Variables[i-1], line)
		}
	}
}

// Control bytes and invalid UTF-8 cannot break a JSON line.
func TestJSONEscapesHostileText(t *testing.T) {
	f, _ := newFormatter(FormatJSON, nil)
	var r Record
	sampleRecord(&r)
	r.reset()
	r.SetString(UserAgent, "a\nb\x00c\xff\"\\")
	line := f.appendLine(nil, &r)
	if strings.Count(string(line), "\n") != 1 {
		t.Fatalf("line split: %q", line)
	}
	var m map[string]any
	if err := json.Unmarshal(line, &m); err != nil || m["user_agent"] != "a\nb\x00c\ufffd\"\\" {
		t.Fatalf("%q: %v %q", line, err, m["user_agent"])
	}
}

// A template's variables; an unknown one is refused naming it.
func TestTemplate(t *testing.T) {
	f, err := newFormatter("{client_ip} {method} {path} {status} {duration_ms}ms rid={request_id} ref={referer}", nil)
	if err != nil {
		t.Fatal(err)
	}
	var r Record
	sampleRecord(&r)
	if got := string(f.appendLine(nil, &r)); got != "192.0.2.7 GET /api/users 200 1.5ms rid=rid-1 ref=-\n" {
		t.Fatalf("template: %q", got)
	}
	if _, err := newFormatter("{nope}", nil); err == nil || !strings.Contains(err.Error(), "{nope}") {
		t.Fatalf("unknown variable: %v", err)
	}
}

// Fields are cut at their bound and at the record's text space.
func TestRecordCutsLongValues(t *testing.T) {
	var r Record
	r.reset()
	r.SetString(Path, strings.Repeat("p", 5000))
	r.SetString(Query, strings.Repeat("q", 5000))
	r.SetString(UserAgent, strings.Repeat("u", 5000))
	if len(r.Get(Path)) != fieldMax[Path] || len(r.Get(Query)) != fieldMax[Query] || len(r.Get(UserAgent)) != TextSize-fieldMax[Path]-fieldMax[Query] {
		t.Fatalf("cut: %d %d %d", len(r.Get(Path)), len(r.Get(Query)), len(r.Get(UserAgent)))
	}
}

// Records reach the file in order; a full ring drops and counts without
// waiting; Close flushes.
func TestLogWritesAndDrops(t *testing.T) {
	path := filepath.Join(t.TempDir(), "access.log")
	l, err := Open(Options{Path: path, Format: "{request_id}", Buffer: 4})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		r := l.Begin()
		if r == nil {
			t.Fatal("ring full at start")
		}
		r.SetString(RequestID, string(rune('a'+i)))
		l.Commit(r)
	}
	// Claimed and never committed, four records fill the ring whatever
	// the writer does: the fifth is dropped.
	l2, _ := Open(Options{Path: path + ".2", Format: FormatJSON, Buffer: 4})
	for i := 0; i < 4; i++ {
		if l2.Begin() == nil {
			t.Fatal("ring full early")
		}
	}
	if l2.Begin() != nil || l2.Dropped() != 1 {
		t.Fatalf("a full ring: dropped %d", l2.Dropped())
	}
	l2.Close()
	l.Close()
	b, _ := os.ReadFile(path)
	if string(b) != "a\nb\nc\n" {
		t.Fatalf("file: %q", b)
	}
}

// TestJSONClean checks the eight-bytes-at-a-step test against the byte
// table: every byte value at every position of a word and of the tail,
// among clean neighbours.
func TestJSONClean(t *testing.T) {
	for n := 1; n <= 19; n++ {
		for pos := 0; pos < n; pos++ {
			for c := 0; c < 256; c++ {
				b := bytes.Repeat([]byte{'a'}, n)
				b[pos] = byte(c)
				if got, want := jsonClean(b), jsonSafe[c]; got != want {
					t.Fatalf("jsonClean(%q) = %v, want %v", b, got, want)
				}
			}
		}
	}
	if !jsonClean(nil) {
		t.Fatal("the empty text needs no escaping")
	}
}

// TestJSONLineEscapesEveryField: a value that needs escaping is escaped
// whether it is in the record's text or one of its strings, also after
// a clean line remembered the field's previous string.
func TestJSONLineEscapesEveryField(t *testing.T) {
	f, err := newFormatter(FormatJSON, nil)
	if err != nil {
		t.Fatal(err)
	}
	var r Record
	sampleRecord(&r)
	clean := f.appendLine(nil, &r)
	if !json.Valid(clean) {
		t.Fatalf("invalid line %s", clean)
	}
	r.Rule, r.Upstream = `/a"b/*`, "http://x\\y"
	r.SetString(UserAgent, "ua\x01\"")
	var got map[string]any
	if err := json.Unmarshal(f.appendLine(nil, &r), &got); err != nil {
		t.Fatal(err)
	}
	if got["rule"] != `/a"b/*` || got["upstream"] != "http://x\\y" || got["user_agent"] != "ua\x01\"" {
		t.Fatalf("escaped fields came back as %q %q %q", got["rule"], got["upstream"], got["user_agent"])
	}
}
