// Package auth owns the gateway's authentication methods: who a request
// comes from, decided on its head before the rate limit and the cache.
//
// A rule's `auth` block compiles (New) into an Auth: its methods in the one
// fixed order (api_keys, basic, jwt). The request path asks each method in
// turn; the first that finds credentials of its kind decides (Admitted, Refused, Forbidden or
// Throttled), and when none finds any the request is refused. The request
// path owns the small interface the methods satisfy and the answers (401,
// 403, 429) they lead to; this package never writes a response.
//
// What a method learns is an Identity, kept in the request's scratch memory
// (State) and never allocated: the consumer's name (an API key's name, a
// Basic user: strings owned by the compiled config; a token's sub: owned
// by the verified-token cache) and a Claims view that the jwt method
// fills: the verified token's claims, built once per token and shared by
// every request presenting it. The consumer feeds the {consumer}
// placeholder of rate-limit and cache keys, the X-Consumer header the
// backend gets, and the dashboard's per-consumer counts; the claims feed
// {jwt.CLAIM} and jwt.claims_to_headers.
//
// Files the methods read (api_keys.keys_file, basic.users_file,
// jwt.key_file) are read when the config is loaded, so a reload (SIGHUP,
// or a change the watcher sees in the config or in one of these files)
// rereads them, and a bad file refuses the whole new config: the old one
// keeps serving. jwt.jwks_url is fetched on demand by the request that
// needs it (no goroutine), at most once per period.
package auth
