// Package access owns the access-control decisions that need no
// credentials, made on the request head before auth and rate limits:
//
//   - IP allow/deny ([Filter], the `ip_filter` feature): CIDR lists, IPv4
//     and IPv6, compiled into sorted, merged range tables ([Set]) so a
//     lookup is a binary search (10,000 CIDRs: about 14 comparisons) that
//     never allocates. Deny wins; an empty allow list admits everyone not
//     denied.
//   - CORS ([CORS], the `cors` feature): which origins a rule admits
//     (exact, "*", or "https://*.example.com" through proxy/route's
//     [route.HostPattern], the one wildcard-host matcher), whether a
//     preflight's announced method is allowed, and the header values the
//     gateway sends, built once at load time.
//
// The package decides; the request path (package proxy) resolves the client
// address, writes the answers and keeps the fixed order. Everything here is
// immutable after construction and safe for concurrent use. It imports only
// proxy/route.
package access
