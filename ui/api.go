package ui

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"strings"

	"github.com/valyala/fasthttp"

	"github.com/premier-gateway/premier/ui/source"
)

// maxAPIBody bounds a JSON request body: a config text (1 MiB, the
// gateway's config.MaxFileBytes) plus JSON
// escaping headroom.
const maxAPIBody = 9 << 20

// serveAPI routes {prefix}/api/...; sub starts with "/".
func (d *Dashboard) serveAPI(ctx *fasthttp.RequestCtx, sub string, acc source.Access, via authVia) {
	type route struct {
		method string
		h      func(*fasthttp.RequestCtx)
		writes bool // changes the gateway: needs the token on the call (mayWrite)
	}
	routes := map[string]route{
		"/snapshot":        {"GET", d.apiSnapshot, false},
		"/history":         {"GET", d.apiHistory, false},
		"/stream":          {"GET", d.serveStream, false},
		"/routes/detail":   {"GET", d.apiRouteDetail, false},
		"/requests":        {"GET", d.apiRequests, false},
		"/config":          {"GET", d.apiConfig, false},
		"/config/versions": {"GET", d.apiVersions, false},
		"/explain":         {"GET", d.apiExplain, false},
		"/config/validate": {"POST", d.apiValidate, false}, // checks text, writes nothing
		"/config/apply":    {"POST", d.apiApply, true},
		"/config/rollback": {"POST", d.apiRollback, true},
		"/cache/purge":     {"POST", d.apiPurge, true},
	}
	r, ok := routes[sub]
	if !ok {
		writeJSONError(ctx, fasthttp.StatusNotFound, "no such API endpoint")
		return
	}
	if string(ctx.Method()) != r.method && !(r.method == "GET" && ctx.IsHead()) {
		methodNotAllowed(ctx, r.method)
		return
	}
	if r.writes {
		if msg, ok := mayWrite(acc, via); !ok {
			writeJSONError(ctx, fasthttp.StatusForbidden, msg)
			return
		}
	}
	if r.method == "POST" && !bytes.HasPrefix(ctx.Request.Header.ContentType(), []byte("application/json")) {
		// A cross-origin page cannot send this content type without a
		// CORS preflight, which the dashboard never grants.
		writeJSONError(ctx, fasthttp.StatusUnsupportedMediaType, "send Content-Type: application/json")
		return
	}
	r.h(ctx)
}

// liveSnapshot is the snapshot plus whether the editor may change
// anything (the page shows it read-only, with the reason, when not).
type liveSnapshot struct {
	source.Snapshot
	ReadOnly       bool   `json:"read_only"`
	ReadOnlyReason string `json:"read_only_reason,omitempty"`
}

// snapshotTail is how many of the last seconds (source.Snapshot.Seconds)
// each snapshot carries: the page appends them to the history it loaded
// from /api/history, and a missed event or two leaves no gap.
const snapshotTail = 5

// snapshotJSON returns the current snapshot, computed at most once per
// half interval however many clients watch.
func (d *Dashboard) snapshotJSON() []byte {
	b, _ := d.snapshot()
	return b
}

// snapshot returns the current snapshot as sent (JSON, the seconds cut to
// the last snapshotTail) and the whole window of seconds.
func (d *Dashboard) snapshot() ([]byte, []source.Second) {
	d.snapMu.Lock()
	defer d.snapMu.Unlock()
	now := d.opts.now()
	if d.snapJSON != nil && now.Sub(d.snapAt) < d.opts.Interval/2 {
		return d.snapJSON, d.snapSeconds
	}
	s := d.src.Snapshot()
	if s.HealthEvents == nil {
		// A source that keeps no timeline: the changes between snapshots.
		d.health.Observe(now, s.Backends)
		s.HealthEvents = d.health.List()
	}
	if s.Seconds == nil {
		s.Seconds = []source.Second{}
	}
	all := s.Seconds
	s.Seconds = all[max(0, len(all)-snapshotTail):]
	live := liveSnapshot{Snapshot: s}
	if d.src.Access().Token == "" {
		live.ReadOnly, live.ReadOnlyReason = true, errReadOnly
	}
	b, err := json.Marshal(live)
	if err != nil {
		b = []byte(`{"error":"snapshot: ` + strings.ReplaceAll(err.Error(), `"`, `'`) + `"}`)
	}
	d.snapAt, d.snapJSON, d.snapSeconds = now, b, all
	return b, all
}

// apiHistory serves the whole gateway's last five minutes, one point per
// second, for the overview's live chart on first load.
func (d *Dashboard) apiHistory(ctx *fasthttp.RequestCtx) {
	_, secs := d.snapshot()
	writeJSON(ctx, fasthttp.StatusOK, struct {
		SlotSeconds int             `json:"slot_seconds"`
		Seconds     []source.Second `json:"seconds"`
	}{1, secs})
}

func (d *Dashboard) apiSnapshot(ctx *fasthttp.RequestCtx) {
	ctx.SetContentType("application/json")
	ctx.SetBody(d.snapshotJSON())
}

func (d *Dashboard) apiRouteDetail(ctx *fasthttp.RequestCtx) {
	det, ok := d.src.RouteDetail(string(ctx.QueryArgs().Peek("route")))
	if !ok {
		writeJSONError(ctx, fasthttp.StatusNotFound, "no traffic seen for this route")
		return
	}
	writeJSON(ctx, fasthttp.StatusOK, det)
}

// apiRequests: ?route=PATTERN&status=404|4xx&request_id=PART&page=1&per_page=50.
func (d *Dashboard) apiRequests(ctx *fasthttp.RequestCtx) {
	q := ctx.QueryArgs()
	f := source.RecentFilter{Route: string(q.Peek("route")), RequestID: string(q.Peek("request_id"))}
	if s := string(q.Peek("status")); s != "" {
		if len(s) == 3 && strings.HasSuffix(s, "xx") && s[0] >= '1' && s[0] <= '5' {
			f.StatusClass = int(s[0] - '0')
		} else if n, err := strconv.Atoi(s); err == nil && n >= 100 && n <= 599 {
			f.Status = n
		} else {
			writeJSONError(ctx, fasthttp.StatusBadRequest, "status must be a code (404) or a class (4xx)")
			return
		}
	}
	page := clampInt(q.GetUintOrZero("page"), 1, 1<<20)
	per := clampInt(q.GetUintOrZero("per_page"), 50, 500)
	f.Offset, f.Limit = (page-1)*per, per
	p := d.src.Recent(f)
	writeJSON(ctx, fasthttp.StatusOK, struct {
		source.RecentPage
		Page    int `json:"page"`
		PerPage int `json:"per_page"`
	}{p, page, per})
}

func clampInt(v, def, max int) int {
	if v <= 0 {
		return def
	}
	return min(v, max)
}

func (d *Dashboard) apiConfig(ctx *fasthttp.RequestCtx) {
	writeJSON(ctx, fasthttp.StatusOK, d.src.Config())
}

func (d *Dashboard) apiVersions(ctx *fasthttp.RequestCtx) {
	writeJSON(ctx, fasthttp.StatusOK, struct {
		Versions []source.Version `json:"versions"`
	}{d.src.Versions()})
}

// validation is a Validation plus the line diff against the running config.
type validation struct {
	source.Validation
	Lines []DiffLine `json:"lines,omitempty"`
	Error string     `json:"error,omitempty"`
}

type configRequest struct {
	Text        *string `json:"text"`
	BaseVersion int     `json:"base_version"`
}

// readConfigRequest reads a {"text": ..., "base_version": ...} body; false
// when it has answered the request (bad JSON, no text).
func readConfigRequest(ctx *fasthttp.RequestCtx) (configRequest, bool) {
	var req configRequest
	if !readJSON(ctx, &req) {
		return req, false
	}
	if req.Text == nil {
		writeJSONError(ctx, fasthttp.StatusBadRequest, "missing field: text")
		return req, false
	}
	return req, true
}

func (d *Dashboard) apiValidate(ctx *fasthttp.RequestCtx) {
	req, ok := readConfigRequest(ctx)
	if !ok {
		return
	}
	v := d.src.Validate([]byte(*req.Text))
	writeJSON(ctx, fasthttp.StatusOK, validation{Validation: v, Lines: lineDiff(d.src.Config().Text, *req.Text)})
}

func (d *Dashboard) apiApply(ctx *fasthttp.RequestCtx) {
	req, ok := readConfigRequest(ctx)
	if !ok {
		return
	}
	v, err := d.src.Apply([]byte(*req.Text), req.BaseVersion)
	d.applied(ctx, "apply", v, err)
}

func (d *Dashboard) apiRollback(ctx *fasthttp.RequestCtx) {
	var req struct {
		Version int `json:"version"`
	}
	if !readJSON(ctx, &req) {
		return
	}
	v, err := d.src.Rollback(req.Version)
	d.applied(ctx, "rollback", v, err)
}

// applied answers an apply or rollback: 200 when it took effect (with an
// error field when the file could not be written), 422 for an invalid
// config, 409 for a conflict, 404 for an unknown version.
func (d *Dashboard) applied(ctx *fasthttp.RequestCtx, what string, v source.Validation, err error) {
	status := fasthttp.StatusOK
	switch {
	case err == nil:
		d.log.Info("dashboard: config "+what, "version", v.Version, "client", ctx.RemoteIP().String())
		d.invalidateSnapshot()
	case errors.Is(err, source.ErrNotSaved):
		d.log.Error("dashboard: config "+what+" not saved", "error", err.Error())
		d.invalidateSnapshot()
	case errors.Is(err, source.ErrInvalid):
		status = fasthttp.StatusUnprocessableEntity
	case errors.Is(err, source.ErrConflict):
		status = fasthttp.StatusConflict
	case errors.Is(err, source.ErrNoVersion):
		status = fasthttp.StatusNotFound
	default:
		status = fasthttp.StatusInternalServerError
	}
	out := validation{Validation: v}
	if err != nil {
		out.Error = err.Error()
	}
	writeJSON(ctx, status, out)
}

func (d *Dashboard) invalidateSnapshot() {
	d.snapMu.Lock()
	d.snapJSON = nil
	d.snapMu.Unlock()
}

func (d *Dashboard) apiPurge(ctx *fasthttp.RequestCtx) {
	var p source.Purge
	if !readJSON(ctx, &p) {
		return
	}
	if !p.All && p.Rule == "" && p.Key == "" {
		writeJSONError(ctx, fasthttp.StatusBadRequest, "say what to purge: all, rule or key")
		return
	}
	res, err := d.src.Purge(p)
	switch {
	case errors.Is(err, source.ErrCacheInactive):
		writeJSONError(ctx, fasthttp.StatusConflict, err.Error())
	case err != nil:
		writeJSONError(ctx, fasthttp.StatusBadRequest, err.Error())
	default:
		d.log.Info("dashboard: cache purged", "all", p.All, "rule", p.Rule, "key", p.Key, "removed", res.Removed)
		writeJSON(ctx, fasthttp.StatusOK, res)
	}
}

// readJSON decodes the request body into v, answering 400/413 itself.
func readJSON(ctx *fasthttp.RequestCtx, v any) bool {
	var body []byte
	if ctx.Request.IsBodyStream() {
		b, err := io.ReadAll(io.LimitReader(ctx.RequestBodyStream(), maxAPIBody+1))
		if err != nil {
			writeJSONError(ctx, fasthttp.StatusBadRequest, "reading body: "+err.Error())
			return false
		}
		body = b
	} else {
		body = ctx.PostBody()
	}
	if len(body) > maxAPIBody {
		writeJSONError(ctx, fasthttp.StatusRequestEntityTooLarge, "body too large")
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		writeJSONError(ctx, fasthttp.StatusBadRequest, "bad JSON: "+err.Error())
		return false
	}
	return true
}

func writeJSON(ctx *fasthttp.RequestCtx, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		writeJSONError(ctx, fasthttp.StatusInternalServerError, err.Error())
		return
	}
	ctx.SetStatusCode(status)
	ctx.SetContentType("application/json")
	ctx.SetBody(b)
}

func writeJSONError(ctx *fasthttp.RequestCtx, status int, msg string) {
	b, _ := json.Marshal(struct {
		Error string `json:"error"`
	}{msg})
	ctx.SetStatusCode(status)
	ctx.SetContentType("application/json")
	ctx.SetBody(b)
}
