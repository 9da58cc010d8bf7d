// Package metrics owns what the gateway counts about the requests it
// serves: the zero-allocation collector the request path records every
// finished request into (Observation), the per-route counters, latency
// histograms and time slots behind the dashboard's snapshots, the ring of
// recent requests, the most rate-limited keys, the status page's route
// totals, and the Prometheus text exposition of all of it plus the
// gateway's backends, breakers and process.
//
// It knows nothing of the gateway's configuration or request path: the
// request path fills an Observation with typed outcomes (CacheOutcome,
// LimitOutcome, Source and the cache's MissResult), and the exposition
// takes the gateway's own state as a State value.
package metrics
