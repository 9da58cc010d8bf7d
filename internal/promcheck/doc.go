// Package promcheck validates a Prometheus text exposition the way a
// scraper reads it, for the tests of what the gateway serves at /metrics:
// the whole text parses with the Prometheus text parser, every family has
// a HELP docstring, and each family's lines (HELP, TYPE, samples) are
// contiguous and in that order, which the parser itself does not check.
package promcheck
