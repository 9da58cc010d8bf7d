// Package adminauth is the one access check of the gateway's reserved
// prefix (the dashboard, its API, /metrics, the status page): who may see
// it (local clients without a token; only the dashboard.hosts names when
// set) and who has proved the admin token. The dashboard (ui) and the
// gateway's own status answer (proxy) both decide through it.
package adminauth
