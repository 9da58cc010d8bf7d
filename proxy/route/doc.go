// Package route owns the request-inspection pieces of the gateway's hot path:
//
//   - the router ([CompileSpecs], [Table.MatchRequest]): exact, glob, {param}
//     and regex patterns with first-match-in-file-order semantics, answered by
//     a precompiled byte trie plus an ordered regex fallback; a rule's hosts
//     indexed by host name (one map lookup per request, however many hosts),
//     its methods, headers and query checked on the rules whose path matches;
//     a conservative [Table.Shadowed] report of rules that can never match
//     (hosts and methods counted), and [Table.Explain], why each rule before
//     the winner did not match;
//   - the path normaliser ([NormalizePath], [HasPrefixSegment]) that turns a
//     raw request path into the one canonical form every later stage (reserved
//     prefix check, routing, keys) sees, or rejects it with [ErrBadPath];
//   - client address extraction behind trusted proxies ([ParseTrustedProxies],
//     [Trusted.ClientIP], [AppendClientKey]);
//   - rate-limit and cache key templates ([CompileTemplate], [Template.Append]);
//   - the one wildcard-host matcher ([HostPattern]: exact, or "*.example.com"
//     for exactly one label) that CORS origins and rule hosts share.
//
// Every per-request function here is allocation-free; the claims are tests
// (allocs_test.go) and benchmarks. All types are immutable after construction
// and safe for concurrent use. The package knows nothing of YAML or policies.
package route
