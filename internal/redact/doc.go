// Package redact removes credentials from text meant for people: the
// user info of URLs (server and Redis URLs) before a log line, an error
// or a -check message shows them. It works on text that does not parse
// as a URL too, because the malformed URL is the one an error quotes.
package redact
