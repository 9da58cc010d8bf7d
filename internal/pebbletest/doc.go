// Package pebbletest runs a real ACME server for tests: Let's Encrypt's
// pebble (a Go tool of this module: `go tool pebble`, so nothing is
// installed from elsewhere), with real challenge validation
// (PEBBLE_VA_ALWAYS_VALID unset) and no validation sleep
// (PEBBLE_VA_NOSLEEP=1), resolving every name to 127.0.0.1 through a small
// DNS responder of its own, so a test's domains reach the test's listeners
// on the challenge ports it names.
package pebbletest
