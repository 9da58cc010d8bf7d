package config

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/premier-gateway/premier/internal/ascii"
)

// Rewrite is the `rewrite` feature: the path the backend gets instead of
// the request's normalised path. One of strip_prefix/add_prefix (either or
// both), path, or regex with replace.
type Rewrite struct {
	// StripPrefix removes this leading path (whole segments: "/api" strips
	// "/api/x" to "/x" and "/api" to "/", never "/apix"). Default: none.
	StripPrefix string `yaml:"strip_prefix"`
	// AddPrefix puts this path in front (after strip_prefix). Default: none.
	AddPrefix string `yaml:"add_prefix"`
	// Path is a template for the whole new path: the pattern's captures
	// and the template variables ({path}, {query.NAME}...). Default: none.
	Path string `yaml:"path"`
	// Regex is an RE2 expression matched against the normalised path; its
	// first match is replaced by Replace ($1, ${name}, $$). A path it does
	// not match goes unchanged. Default: none.
	Regex string `yaml:"regex"`
	// Replace is Regex's replacement. Required with regex.
	Replace string `yaml:"replace"`
	// Query is what happens to the request's query string: "keep" (sent
	// after the new path as the client wrote it) or "drop". Default "keep".
	Query string `yaml:"query"`
}

// Defaults fills the defaults into a zero Rewrite before it is decoded.
func (r *Rewrite) Defaults() { r.Query = QueryKeep }

// The values of rewrite.query and redirect.query.
const (
	QueryKeep = "keep"
	QueryDrop = "drop"
)

// Validate checks what needs no capture names (the rest is compiled in
// check, which knows the rule's pattern).
func (r *Rewrite) Validate() error {
	return validQuery(r.Query)
}

func validQuery(q string) error {
	if q != QueryKeep && q != QueryDrop {
		return fmt.Errorf("query: must be %q or %q, got %q", QueryKeep, QueryDrop, q)
	}
	return nil
}

// HeaderRules is the `request_headers` and `response_headers` feature:
// headers removed, set (replacing any of the name) and added, in that
// order, with values as templates.
type HeaderRules struct {
	// Set replaces each named header with the template's value. Default: none.
	Set HeaderFields `yaml:"set"`
	// Add adds a field per name, after any the message has. Default: none.
	Add HeaderFields `yaml:"add"`
	// Remove deletes every field of these names. Default: none.
	Remove []string `yaml:"remove"`
	// Always applies response_headers to the gateway's own answers too
	// (429, 503, 404...), not only to backend answers and cache hits.
	// response_headers only. Default false.
	Always bool `yaml:"always"`
}

// HeaderField is one name and its value template.
type HeaderField struct {
	Name  string
	Value string
}

// HeaderFields is a YAML mapping of header names to value templates, kept
// in file order.
type HeaderFields []HeaderField

// UnmarshalYAML reads a mapping whose values are scalars (strings,
// numbers and booleans are taken as their text).
func (h *HeaderFields) UnmarshalYAML(unmarshal func(any) error) error {
	var ms yaml.MapSlice
	if err := unmarshal(&ms); err != nil {
		return errors.New("expected a mapping of header names to values, like {X-Env: prod}")
	}
	out := make(HeaderFields, 0, len(ms))
	seen := map[string]bool{}
	for _, it := range ms {
		name, ok := it.Key.(string)
		if !ok {
			return fmt.Errorf("header name %v: must be a string", it.Key)
		}
		var v string
		switch x := it.Value.(type) {
		case string:
			v = x
		case bool:
			v = strconv.FormatBool(x)
		case int, int64, uint64, float64:
			v = fmt.Sprint(x)
		case nil:
			return fmt.Errorf("header %s: needs a value (write \"\" for an empty one)", name)
		default:
			return fmt.Errorf("header %s: the value must be a string, not a %T", name, x)
		}
		lower := strings.ToLower(name)
		if seen[lower] {
			return fmt.Errorf("header %s: named twice", name)
		}
		seen[lower] = true
		out = append(out, HeaderField{Name: name, Value: v})
	}
	*h = out
	return nil
}

// Validate checks the names (the values are compiled in check).
func (h *HeaderRules) Validate() error {
	var errs []error
	for _, key := range []struct {
		k     string
		names []string
	}{{"set", h.Set.names()}, {"add", h.Add.names()}, {"remove", h.Remove}} {
		for _, n := range key.names {
			if !ascii.IsToken(n) {
				errs = append(errs, fmt.Errorf("%s: %q is not a header name", key.k, n))
			}
		}
	}
	if len(h.Set) == 0 && len(h.Add) == 0 && len(h.Remove) == 0 {
		errs = append(errs, errors.New("set: one of set, add or remove is needed"))
	}
	return errors.Join(errs...)
}

func (h HeaderFields) names() []string {
	out := make([]string, len(h))
	for i, f := range h {
		out[i] = f.Name
	}
	return out
}

// gatewayRequestHeader says why a request header rule may not touch name,
// "" when it may: the gateway writes or removes these itself after its
// sanitising, and a rule that set them would forge what the backend
// trusts (the client's address, scheme and host, the consumer, the client
// certificate) or the message's framing.
func gatewayRequestHeader(name string) string {
	n := strings.ToLower(name)
	switch {
	case hopByHopName(n):
		return "a hop-by-hop header, removed on every hop"
	case n == "host" || n == "content-length":
		return "the message's routing and framing, which the gateway keeps as the client sent them"
	case n == "x-forwarded-for" || n == "forwarded" || n == "x-real-ip" || strings.HasPrefix(n, "x-forwarded-"):
		return "a forwarding header: only the gateway writes it (from the connection and trusted_proxies)"
	case n == "x-consumer":
		return "the consumer the rule's auth admitted: only the gateway writes it"
	case n == "x-client-cert-cn":
		return "the verified client certificate's name: only the gateway writes it"
	case n == "x-original-url" || n == "x-rewrite-url" || n == "x-override-url" ||
		n == "x-http-method-override" || n == "x-http-method" || n == "x-method-override":
		return "a URL or method override, removed from every request so the backend serves what the rules matched (use rewrite for the path)"
	}
	return ""
}

// gatewayResponseHeader is gatewayRequestHeader for response rules.
func gatewayResponseHeader(name string) string {
	n := strings.ToLower(name)
	switch {
	case hopByHopName(n):
		return "a hop-by-hop header, removed on every hop"
	case n == "content-length":
		return "the response's framing, which the gateway writes"
	}
	return ""
}

func hopByHopName(n string) bool {
	switch n {
	case "connection", "keep-alive", "te", "trailer", "transfer-encoding", "upgrade", "proxy-connection":
		return true
	}
	return strings.HasPrefix(n, "proxy-")
}

// Redirect is the `redirect` feature: the gateway answers the rule's
// requests with a redirect, right after matching, before any other
// feature or backend.
type Redirect struct {
	// To is the Location: a template starting with "/", "http://" or
	// "https://" (whose host part holds only text and {host}). Required.
	To string `yaml:"to"`
	// Status is 301, 302, 303, 307 or 308. Default 308 (permanent, and the
	// method and body are kept).
	Status int `yaml:"status"`
	// Query is what happens to the request's query string: "keep" (added
	// to the Location, after a '&' when `to` has a '?') or "drop".
	// Default "keep".
	Query string `yaml:"query"`
}

// Defaults fills the defaults into a zero Redirect before it is decoded.
func (r *Redirect) Defaults() {
	r.Status = 308
	r.Query = QueryKeep
}

// Validate checks the redirect (its template is compiled in check).
func (r *Redirect) Validate() error {
	var errs []error
	switch r.Status {
	case 301, 302, 303, 307, 308:
	default:
		errs = append(errs, fmt.Errorf("status: must be 301, 302, 303, 307 or 308, got %d", r.Status))
	}
	if r.To == "" {
		errs = append(errs, errors.New("to: required (a path like /new{path} or a URL like https://example.com{path})"))
	} else if err := redirectTarget(r.To); err != nil {
		errs = append(errs, fmt.Errorf("to: %v", err))
	}
	errs = append(errs, validQuery(r.Query))
	return errors.Join(errs...)
}

// redirectTarget checks where a Location template may point: a path on
// this site ("/..." but not "//" or "/\", which browsers read as another
// host), or an absolute http(s) URL whose host part is literal or {host},
// so no request value picks the host a client is sent to.
func redirectTarget(to string) error {
	if strings.ContainsAny(to, " \t") {
		return fmt.Errorf("%q: a URL holds no space or tab: percent-encode it (%%20)", to)
	}
	switch {
	case strings.HasPrefix(to, "//") || strings.HasPrefix(to, "/\\"):
		return fmt.Errorf("%q: a target starting with // or /\\ names another host: write https://HOST/... instead", to)
	case strings.HasPrefix(to, "/"):
		return nil
	}
	rest, ok := strings.CutPrefix(to, "https://")
	if !ok {
		rest, ok = strings.CutPrefix(to, "http://")
	}
	if !ok {
		return fmt.Errorf("%q must start with /, http:// or https://", to)
	}
	// The host part: literal text and {host}, then the end or '/', '?',
	// '#' or {path} (which starts with '/'); any other value there could
	// extend the host ("example.com" + ".evil.com").
	i := 0
	for i < len(rest) && strings.IndexByte("/?#", rest[i]) < 0 {
		if strings.HasPrefix(rest[i:], "{host}") {
			i += len("{host}")
			continue
		}
		if strings.HasPrefix(rest[i:], "{path}") {
			break
		}
		if strings.IndexByte("{}@\\", rest[i]) >= 0 {
			return fmt.Errorf("%q: the host part must be a name or {host}, followed by /, ?, # or {path} (no other placeholder, no user info)", to)
		}
		i++
	}
	if i == 0 {
		return fmt.Errorf("%q: no host after the scheme", to)
	}
	return nil
}
