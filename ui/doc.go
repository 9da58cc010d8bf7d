// Package ui is Premier's dashboard, served from the gateway's own
// listener under the reserved prefix (dashboard.prefix, default
// /__premier): a live page (overview, per-route table and charts,
// backends, recent requests, config editor with validate-as-you-type,
// diff, apply and rollback, cache purge), its JSON and SSE API under
// {prefix}/api/, and Prometheus metrics at {prefix}/metrics.
//
// The page's assets are embedded (plain HTML, CSS and JavaScript, with a
// vendored uPlot for charts): no build step, no CDN.
//
// ui reads the gateway only through [source.Source] (package ui/source),
// which package proxy implements; ui never imports proxy.
//
// Access (see auth.go): without dashboard.token only loopback clients
// whose Host is a loopback name are served and everyone else gets 404;
// with a token every client must send it as a bearer token or log in
// through a form that sets an HttpOnly SameSite=Strict cookie. Every
// state-changing call also needs a same-origin request.
package ui
