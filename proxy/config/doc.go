// Package config owns Premier's configuration as data: the YAML schema
// (the `premier:` block and its features), strict decoding that reports
// every problem with its FILE:LINE:COL position, ${ENV} expansion, the
// bounds that refuse hostile input before parsing (size, nesting, alias
// bombs), validation and the `-check` warnings, all as Problem values.
// It also compares two configs (what the dashboard shows before an apply),
// writes a config file atomically, and keeps credentials out of what leaves
// the gateway: problems quote ${ENV} source text, never the values
// (quoteSource), and the config text the dashboard shows has the secret
// fields of secretFields redacted, restored from the running file on apply.
//
// Checking a config compiles its patterns, key templates and trusted
// proxies with package route, to report errors where they stand; the
// gateway builds its route table from that result (Loaded.Routes and the
// accessors next to it). Everything else about running a config belongs to
// package proxy, which compiles a Loaded into its request path: this package
// never imports the runtime (the request path, the transport, the WebSocket
// relay, metrics), only the Config types of the leaves (lb, limiter, cache,
// resilience) and route.
package config
