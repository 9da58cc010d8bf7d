package config

import (
	"regexp"
	"strings"

	"github.com/goccy/go-yaml/token"
)

// Redacted stands for a credential written literally in a config file
// wherever the config text leaves the gateway (the dashboard's config
// API). It is valid YAML in place (a plain scalar, and inside a URL's
// user info a plain-scalar character run) and never a valid credential,
// so a text that still holds it is only applied through RestoreRedacted,
// which puts the file's value back.
const Redacted = "<redacted>"

// secretKind says which part of a field's value is the credential.
type secretKind uint8

const (
	// secretWhole: the whole value (a token, a key).
	secretWhole secretKind = iota
	// secretUserinfo: the password of a URL's user info, or the whole
	// user info when it has no password (a lone token).
	secretUserinfo
)

// secretField names a config field that holds a credential, by its path
// from the document root: mapping keys joined by ".", "[]" for any list
// item. A server is a URL string or a mapping with `url`, so both forms
// are listed.
type secretField struct {
	path string
	kind secretKind
}

// secretFields are the fields the config API redacts. A new field that
// holds a credential (a JWT secret, an API key) joins by adding its path
// here; RedactText and RestoreRedacted need nothing else.
var secretFields = []secretField{
	{"premier.dashboard.token", secretWhole},
	{"premier.redis.url", secretUserinfo},
	{"premier.servers[]", secretUserinfo},
	{"premier.servers[].url", secretUserinfo},
	{"premier.paths[].servers[]", secretUserinfo},
	{"premier.paths[].servers[].url", secretUserinfo},
}

// secretMaps are mappings every value of which is a credential (the
// tracing exporter's headers carry a collector's API key).
var secretMaps = []string{"premier.tracing.headers."}

func secretKindOf(path string) (secretKind, bool) {
	for _, m := range secretMaps {
		if strings.HasPrefix(path, m) && len(path) > len(m) {
			return secretWhole, true
		}
	}
	for _, f := range secretFields {
		if f.path == path {
			return f.kind, true
		}
	}
	return 0, false
}

// secretScalar is one scalar of a secret field, as written in a text.
type secretScalar struct {
	path     string // indexed: "premier.paths[2].servers[0]"
	field    string // its secretFields path: "premier.paths[].servers[]"
	value    string // as written (before ${ENV} expansion)
	redacted string // value with its credential replaced by Redacted; == value when it holds none
	secret   string // the credential ("" when none)
	// start and end are the scalar's bytes in the text (quotes included);
	// end is 0 when they could not be told (a block or multi-line plain
	// scalar).
	start, end int
	style      token.Type
	// anchored: the scalar or a collection around it carries an anchor,
	// so aliases may copy its value into other fields.
	anchored bool
}

// envRef matches one ${NAME} or ${NAME:-default} reference.
var envRef = regexp.MustCompile(`\$\{[^}]*\}`)

// credential returns the credential part of a secret field's value and
// the value with it replaced by Redacted. A credential written wholly as
// ${ENV} references is not one: the text shows the reference, never the
// environment's value.
func credential(kind secretKind, v string) (secret, redacted string) {
	start, end := 0, len(v)
	if kind == secretUserinfo {
		i := strings.Index(v, "://")
		if i < 0 {
			return "", v
		}
		start = i + 3
		stop := len(v)
		if j := strings.IndexAny(v[start:], "?#"); j >= 0 {
			stop = start + j
		}
		at := strings.LastIndexByte(v[start:stop], '@')
		if at < 0 {
			return "", v
		}
		end = start + at
		if c := strings.IndexByte(v[start:end], ':'); c >= 0 {
			start += c + 1
		}
	}
	s := v[start:end]
	if strings.TrimSpace(envRef.ReplaceAllString(s, "")) == "" {
		return "", v
	}
	return s, v[:start] + Redacted + v[end:]
}
