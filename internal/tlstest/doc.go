// Package tlstest is a test helper: a throwaway certificate authority and
// leaf certificates (ECDSA P-256 or RSA) with the names and serials a test
// asks for, written as PEM files into the test's temporary directory, so
// TLS tests run real handshakes against certificates they control.
package tlstest
