// Package origintest runs a real origin server for cache tests: a
// fasthttp server on a free loopback port that answers with the test's
// handler and records every request it receives (method, path and the
// headers a cache sends when it revalidates or forwards conditionals), so
// a test can count what reached the origin through Premier or a real
// nginx with proxy_cache, and check the conditional headers it got.
package origintest
