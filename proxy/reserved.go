package proxy

import (
	"encoding/json"

	"github.com/valyala/fasthttp"

	"github.com/premier-gateway/premier/internal/adminauth"
	"github.com/premier-gateway/premier/proxy/metrics"
)

// serveReserved answers the reserved prefix: the dashboard when one is
// wired (WithReservedHandler), else a small JSON status for local clients
// or bearer-token holders (adminauth.Allowed, the dashboard's own check).
// Others get 404: the prefix is not revealed. With dashboard.hosts set,
// a request for any other Host gets that 404 before either answer, so
// the dashboard, its API and /metrics live on their own origin only.
func (g *Gateway) serveReserved(ctx *fasthttp.RequestCtx, t *table, path []byte) {
	if !adminauth.HostAllowed(ctx.Host(), t.loaded.Config.Dashboard.Hosts) {
		writeError(ctx, ErrNotFound)
		return
	}
	if g.reserved != nil {
		g.reserved(ctx)
		return
	}
	if !adminauth.Allowed(ctx, t.loaded.Config.Dashboard.Token) {
		writeError(ctx, ErrNotFound)
		return
	}
	if len(path) != len(t.prefix) && string(path) != string(t.prefix)+"/" {
		writeError(ctx, ErrNotFound)
		return
	}
	body, _ := json.Marshal(g.Status())
	writeJSON(ctx, fasthttp.StatusOK, body)
	ctx.Response.Header.Set("Cache-Control", "no-store")
}

// Status is the gateway's self-description.
type Status struct {
	Version    string                  `json:"version"`
	ConfigFile string                  `json:"config_file"`
	Rules      []string                `json:"rules"`
	Reloads    uint64                  `json:"reloads"`
	Failed     uint64                  `json:"failed_reloads"`
	Routes     []metrics.RouteSnapshot `json:"routes"`
}

// Status describes the running gateway.
func (g *Gateway) Status() Status {
	t := g.cur.Load()
	s := Status{Version: Version, ConfigFile: t.loaded.File, Reloads: g.reloads.Load(), Failed: g.reloadFailures.Load()}
	for _, p := range t.rules {
		s.Rules = append(s.Rules, p.name)
		s.Routes = append(s.Routes, g.metrics.RouteSnapshot(p.name))
	}
	s.Routes = append(s.Routes, g.metrics.RouteSnapshot(t.fallback.name))
	return s
}
