package ui

import "github.com/premier-gateway/premier/ui/source"

// The messages of a refused state-changing call. Both name
// dashboard.token, the setting that unlocks it.
const (
	errReadOnly = "the dashboard is read-only without dashboard.token: set one in the config to edit"
	errNoBearer = "this call changes the gateway: send the token on the call itself as Authorization: Bearer <dashboard.token> (a session cookie alone is not enough)"
)

// mayWrite decides a call that changes the gateway (apply, rollback,
// purge). Without a token nothing may: a loopback peer is not proof of a
// local human (a reverse proxy on the same host is one too). With a
// token, the call itself must carry it as a bearer header: the session
// cookie is sent by the browser for any page of the origin, including an
// app proxied under another path, which can also read whatever the
// dashboard's own scripts can, so only a value the page never keeps
// (the editor asks the admin to type it) proves the admin meant it.
func mayWrite(acc source.Access, via authVia) (string, bool) {
	switch {
	case acc.Token == "":
		return errReadOnly, false
	case via != viaBearer:
		return errNoBearer, false
	}
	return "", true
}
