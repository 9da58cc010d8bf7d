package ui

import (
	"github.com/valyala/fasthttp"

	"github.com/premier-gateway/premier/ui/source"
)

// apiExplain: ?method=GET&url=https://host/path&client_ip=IP&header=Name:+value
// (header repeatable): which rule the request would match and what the
// gateway would do with it (`premier -explain`). It reads the running
// configuration only, so it is a read endpoint like /snapshot.
func (d *Dashboard) apiExplain(ctx *fasthttp.RequestCtx) {
	q := ctx.QueryArgs()
	eq := source.ExplainQuery{Method: string(q.Peek("method")), URL: string(q.Peek("url")), ClientIP: string(q.Peek("client_ip"))}
	for _, h := range q.PeekMulti("header") {
		eq.Headers = append(eq.Headers, string(h))
	}
	e, err := d.src.Explain(eq)
	if err != nil {
		writeJSONError(ctx, fasthttp.StatusBadRequest, err.Error())
		return
	}
	writeJSON(ctx, fasthttp.StatusOK, e)
}
