package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/valyala/fasthttp"
)

var (
	// smallBody is the ~100-byte body of /small.
	smallBody = []byte("Hello from the Premier benchmark backend. This body is about one hundred bytes long, padded...\n")
	// body4k is the 4 KiB body of /4k.
	body4k = patternBytes(4096)
	// json64k is the 64 KiB JSON document of /json64k (the compression
	// workload): an API's list of records, compressible as such lists are.
	json64k = jsonRecords(64 << 10)
)

// jsonRecords is a JSON array of user-like records of exactly n bytes
// (padded with spaces before the closing bracket).
func jsonRecords(n int) []byte {
	b := make([]byte, 0, n)
	b = append(b, '[')
	for i := 0; ; i++ {
		rec := fmt.Sprintf(`{"id":%d,"login":"user%d","name":"User Number %d","email":"user%d@example.com","active":%t,"score":%d,"roles":["reader"%s],"created":"2026-%02d-%02dT%02d:%02d:00Z"}`,
			i, i, i, i, i%3 != 0, (i*7919)%10000, map[bool]string{true: `,"writer"`, false: ""}[i%5 == 0],
			1+i%12, 1+i%28, i%24, i%60)
		if len(b)+len(rec)+2 > n {
			break
		}
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, rec...)
	}
	for len(b) < n-1 {
		b = append(b, ' ')
	}
	return append(b, ']')
}

const welcomeText = `Premier demo backend %q

Endpoints:
  GET  /                  this page
  GET  /small             ~100-byte text body
  GET  /4k                4 KiB text body
  GET  /json64k           64 KiB JSON document (compressible)
  GET  /bytes?n=N         N bytes (streamed for large N)
  ANY  /echo              method, path, query, headers and body as JSON (?mode=raw: body only)
  GET  /status/{code}     responds with that status code
  GET  /slow?ms=N         responds after N milliseconds
  GET  /api/users/{id}    a JSON user
  ANY  /api/admin/...     a JSON admin answer
  GET  /flaky?fail=N&key=K  503 for the first N calls per key, then 200
  GET  /headers           request headers as JSON
  GET  /ws/echo           WebSocket echo
  GET  /healthz           "ok"
`

func welcome(ctx *fasthttp.RequestCtx, name string) {
	ctx.SetContentType("text/plain; charset=utf-8")
	fmt.Fprintf(ctx, welcomeText, name)
}

// writeJSON encodes v as the response body with the given status.
func writeJSON(ctx *fasthttp.RequestCtx, status int, v any) {
	ctx.SetStatusCode(status)
	ctx.SetContentType("application/json")
	enc := json.NewEncoder(ctx)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// echoReply is the JSON document /echo returns.
type echoReply struct {
	Method     string              `json:"method"`
	Path       string              `json:"path"`
	Query      map[string][]string `json:"query"`
	Headers    map[string]string   `json:"headers"`
	Body       string              `json:"body"`
	BodyBase64 []byte              `json:"body_base64,omitempty"`
	BodyLen    int                 `json:"body_len"`
}

// serveEcho echoes the request. The body is returned as a string when it is
// valid UTF-8 and base64-encoded in body_base64 otherwise. With ?mode=raw the
// request body is returned unchanged (cheap enough for upload benchmarks).
func serveEcho(ctx *fasthttp.RequestCtx) {
	body := ctx.PostBody()
	if string(ctx.QueryArgs().Peek("mode")) == "raw" {
		ct := ctx.Request.Header.ContentType()
		if len(ct) == 0 {
			ct = []byte("application/octet-stream")
		}
		ctx.Response.Header.SetContentTypeBytes(ct)
		ctx.SetBody(body)
		return
	}
	r := echoReply{
		Method:  string(ctx.Method()),
		Path:    string(ctx.Path()),
		Query:   map[string][]string{},
		Headers: headerMap(ctx),
		BodyLen: len(body),
	}
	for k, v := range ctx.QueryArgs().All() {
		r.Query[string(k)] = append(r.Query[string(k)], string(v))
	}
	if utf8.Valid(body) {
		r.Body = string(body)
	} else {
		r.BodyBase64 = body
	}
	writeJSON(ctx, fasthttp.StatusOK, r)
}

// headerMap returns the request headers; repeated headers are joined by ", ".
func headerMap(ctx *fasthttp.RequestCtx) map[string]string {
	h := map[string]string{}
	for k, v := range ctx.Request.Header.All() {
		if old, ok := h[string(k)]; ok {
			h[string(k)] = old + ", " + string(v)
			continue
		}
		h[string(k)] = string(v)
	}
	return h
}

func serveHeaders(ctx *fasthttp.RequestCtx) {
	writeJSON(ctx, fasthttp.StatusOK, headerMap(ctx))
}

// serveStatus answers /status/{code} with that status and a small JSON body.
func serveStatus(ctx *fasthttp.RequestCtx, code string) {
	n, err := strconv.Atoi(code)
	if err != nil || n < 100 || n > 999 {
		writeJSON(ctx, fasthttp.StatusBadRequest, map[string]string{"error": "bad status code"})
		return
	}
	if n == fasthttp.StatusNoContent || n == fasthttp.StatusNotModified || n < 200 {
		ctx.SetStatusCode(n)
		return
	}
	writeJSON(ctx, n, map[string]int{"status": n})
}

// maxSlow caps /slow so a typo cannot park a connection for hours.
const maxSlow = 60 * time.Second

func serveSlow(ctx *fasthttp.RequestCtx) {
	ms, _ := strconv.Atoi(string(ctx.QueryArgs().Peek("ms")))
	d := min(time.Duration(max(ms, 0))*time.Millisecond, maxSlow)
	time.Sleep(d)
	writeJSON(ctx, fasthttp.StatusOK, map[string]int64{"slept_ms": d.Milliseconds()})
}

func serveUser(ctx *fasthttp.RequestCtx, name, id string) {
	if id == "" {
		writeJSON(ctx, fasthttp.StatusNotFound, map[string]string{"error": "no user id"})
		return
	}
	writeJSON(ctx, fasthttp.StatusOK, map[string]string{
		"id":      id,
		"name":    "user-" + id,
		"email":   "user-" + id + "@example.com",
		"backend": name,
	})
}

func serveAdmin(ctx *fasthttp.RequestCtx, name, path string) {
	writeJSON(ctx, fasthttp.StatusOK, map[string]any{
		"admin":   true,
		"method":  string(ctx.Method()),
		"path":    path,
		"backend": name,
	})
}

// revalLastModified is every /reval/ resource's Last-Modified.
const revalLastModified = "Mon, 07 Dec 2026 10:00:00 GMT"

// serveReval answers /reval/ID, the revalidation workload's resources:
// fresh for one second, with an ETag per ID that never changes, so a cache
// revalidates each ID about once a second and the backend answers 304
// (no body) to a conditional request carrying that ETag.
func serveReval(ctx *fasthttp.RequestCtx, id []byte) {
	var tag [40]byte
	etag := append(append(append(tag[:0], `"r`...), id...), '"')
	h := &ctx.Response.Header
	h.Set("Cache-Control", "max-age=1")
	h.SetBytesV("ETag", etag)
	h.Set("Last-Modified", revalLastModified)
	if inm := ctx.Request.Header.Peek("If-None-Match"); len(inm) > 0 && bytes.Contains(inm, etag) {
		ctx.SetStatusCode(fasthttp.StatusNotModified)
		return
	}
	ctx.SetContentType("text/plain; charset=utf-8")
	ctx.SetBody(smallBody)
}
