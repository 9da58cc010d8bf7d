package redact

import "strings"

// Mask stands for a password (or a lone user-info token) removed from a
// URL, as net/url's URL.Redacted writes it.
const Mask = "xxxxx"

// URL returns raw with the password of its user info replaced by Mask
// ("http://admin:xxxxx@host"); user info without a password is taken
// for a token and replaced whole ("https://xxxxx@host"). raw need not
// parse: its user info is everything between "scheme://" and the last
// '@' before any '?' or '#'. That errs on the side of hiding: a password
// with an unescaped '/' (a malformed URL that an error quotes) is hidden
// too, and so is a path holding '@'. Text without user info comes back
// unchanged.
func URL(raw string) string {
	i := strings.Index(raw, "://")
	if i < 0 {
		return raw
	}
	start := i + 3
	end := len(raw)
	if j := strings.IndexAny(raw[start:], "?#"); j >= 0 {
		end = start + j
	}
	at := strings.LastIndexByte(raw[start:end], '@')
	if at < 0 {
		return raw
	}
	at += start
	user, _, hasPassword := strings.Cut(raw[start:at], ":")
	if !hasPassword {
		return raw[:start] + Mask + raw[at:]
	}
	return raw[:start] + user + ":" + Mask + raw[at:]
}
