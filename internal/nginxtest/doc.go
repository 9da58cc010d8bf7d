// Package nginxtest runs a real nginx for tests: a reverse proxy on a free
// loopback port in front of a gateway, with its own config, pid file and
// temp directories in the test's temp dir, owned by one test.
//
// When nginx is missing the test fails under CI (CI=true) — `make test`
// installs it — and is skipped elsewhere.
package nginxtest
