// Package edge owns TLS termination: the tls.Config built from the `tls`
// block (versions, cipher suites, ALPN), the certificate store that picks a
// certificate by SNI among several (exact and wildcard names, ECDSA and RSA
// side by side, the first the default), and the listener that completes
// each handshake off the accept loop and hands the connection on by its
// ALPN protocol: HTTP/1.1 to the server through Accept, others (h2, ACME's
// acme-tls/1) to the hooks the gateway registers.
//
// Around them it runs, each stoppable by its owner: the Reloader that
// reloads the store when its files change, TicketKeys rotating the
// session-ticket keys, and the Stapler keeping OCSP responses stapled. Stats
// counts the listener's handshakes by version, ALPN and failure reason.
//
// It knows nothing of requests: the gateway serves what Accept returns the
// same way as its plain listener's connections.
package edge
