// Package acme owns the certificates the gateway obtains and renews itself
// from an ACME certificate authority (the `tls.acme` block): the account,
// the orders, the challenges, storage on disk and renewal ahead of expiry.
// It gives the TLS listener a certificate source ([Manager.GetCertificate],
// [Manager.Manages]) and the "acme-tls/1" protocol ([ALPNProto]) to offer,
// the plain listener the HTTP-01 answer ([Manager.ServeHTTPChallenge]), and
// the metrics each certificate's expiry ([Manager.Expiry]).
// [Manager.Start] and [Manager.Stop] own every goroutine it runs. It knows
// nothing of YAML, routes or the request path: the gateway hands it plain
// [Options].
//
// Design choice: github.com/caddyserver/certmagic, not
// golang.org/x/crypto/acme/autocert. Both speak ACME and HTTP-01 and
// TLS-ALPN-01; what decides is running several instances of the gateway
// over one storage directory. certmagic locks each order in the storage (a
// lock file per name, kept fresh while held, taken over when stale), so of
// instances sharing the directory one orders and the others wait and then
// load its certificate; its challenge answers are written to the storage
// too, so whichever instance the CA's validation reaches can answer a
// challenge another one started. autocert has no cross-instance locking:
// each instance with an empty cache orders on its own and they race (and
// spend the CA's rate limits). certmagic also renews ahead of expiry (a
// third of the lifetime left, or when the CA's renewal information says
// so), retries with backoff, and staples OCSP responses when a certificate
// names a responder.
//
// The cost is its dependency footprint (zap, acmez, miekg/dns and
// libdns for DNS-01, which the gateway does not use). Its zap logs are
// routed to the gateway's slog logger ([Options.Logger]): its warnings and
// errors as they are, and of its Info lines only the events an operator
// acts on (a certificate ordered, obtained or renewed, a validation
// answered); the rest of its chatter is Debug.
//
// Challenges do not get a server of their own. certmagic starts a challenge
// listener only when the challenge address is free; the manager points it
// at the gateway's own bound listeners ([Options.HTTPChallengeAddr],
// [Options.TLSALPNChallengeAddr]), finds them taken and leaves the
// answering to them. That is why [Manager.Start] must run after the
// listeners are bound.
package acme
