// Package lb owns the gateway's backends and how requests are spread over them.
//
// A [Pool] is a registry of [Backend]s keyed by URL (scheme and host:port).
// Each Backend owns one fasthttp.HostClient (a keep-alive connection pool with
// client-side retries switched off: retries belong to the gateway), lock-free
// counters (in-flight requests, totals, EWMA latency) and an optional active
// health check. Because the pool is keyed by address, backends keep their
// connections, health and counters across config reloads: a reload asks the
// pool for its backends again with [Pool.Get] and drops the rest with
// [Pool.Retain].
//
// A [Balancer] is built per rule from an ordered backend list and picks an
// index into it. Every algorithm (round_robin, weighted_round_robin,
// least_conn, p2c_ewma, ip_hash) skips backends that are unhealthy
// ([Backend.Healthy]) or that the caller's [Filter] rejects (for example the
// rule's open circuit breakers). Pick never locks and never allocates.
//
// Health: a backend is healthy unless an active health check (see
// [Pool.SetHealthCheck]) has seen UnhealthyThreshold consecutive failed
// probes, or — while a health check runs — the gateway reported
// UnhealthyThreshold consecutive failed requests through [Backend.Done]
// (passive checks). Only probes restore it, after HealthyThreshold
// consecutive successes. Without a health check a backend is always healthy
// here; per-rule circuit breakers (package resilience) do the passive part.
//
// The package knows nothing of YAML paths, HTTP routes or other leaves.
package lb
