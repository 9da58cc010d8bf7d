package route

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/premier-gateway/premier/internal/ascii"
	"github.com/valyala/fasthttp"
)

// Vars carries the per-request values a Template may need that the
// RequestCtx does not hold directly.
type Vars struct {
	Path      []byte    // normalised path (NormalizePath)
	ClientKey []byte    // from AppendClientKey
	Caps      *Captures // the matched rule's captures (spans into Path)
	// TLS says the request came over TLS: {scheme} is then "https". It is
	// the caller's (not ctx.IsTLS) so a key can be computed for either
	// scheme (cache invalidation purges both).
	TLS bool
	// Consumer is the authenticated consumer ("": none, {consumer}
	// appends "-").
	Consumer string
	// ClientCN is the subject common name of the client's verified TLS
	// certificate, "" without one ({tls.client_cn}).
	ClientCN string
	// Claims are the admitted token's claims for {jwt.CLAIM} (nil: none,
	// every claim appends "-").
	Claims Claims
	// RequestID is the request's ID ({request_id}, value templates only:
	// a key made of it would never repeat); empty with request_id off.
	RequestID []byte
}

// Claims is a read-only view of a verified token's claims (the auth
// package's tokens satisfy it; route cannot import auth). Claim must not
// allocate: it runs per request.
type Claims interface {
	Claim(name string) ([]byte, bool)
}

// partKind is what one template part appends.
type partKind uint8

const (
	partLit partKind = iota
	partClientIP
	partPath
	partMethod
	partHost
	partScheme
	partQuery
	partHeader
	partCapture
	partConsumer
	partClientCN
	partClaim
	partRequestID
)

type part struct {
	kind partKind
	text string // literal, query/capture name
	key  []byte // header name
}

// Template is a compiled key template such as "{client_ip}:{path}". It is
// immutable and safe for concurrent use.
//
// Encoding: literal text is appended as written (it is the same for every
// request using the template). Every placeholder appends its value
// length-prefixed, as decimal length, ':', then the raw bytes ("GET" becomes
// "3:GET"); an absent value (missing query parameter, header or capture)
// appends "-". Reading a key left to right with its template therefore
// recovers every value, so two different inputs never produce the same key
// for the same template. Keys of different templates may coincide; callers
// prefix the key with the policy's identity. {host} is lower-cased.
type Template struct {
	src     string
	parts   []part
	queries []string // names of the {query.NAME} placeholders
}

// Placeholders accepted by CompileTemplate besides the rule's capture names.
const (
	PlaceholderClientIP = "client_ip"
	PlaceholderPath     = "path"
	PlaceholderMethod   = "method"
	PlaceholderHost     = "host"
	PlaceholderScheme   = "scheme"
	// PlaceholderConsumer is the consumer the rule's auth admitted.
	PlaceholderConsumer = "consumer"
	PlaceholderClientCN = "tls.client_cn"
	placeholderQuery    = "query."
	placeholderHeader   = "header."
	// PlaceholderClaim prefixes {jwt.CLAIM}: a claim of the admitted token.
	PlaceholderClaim = "jwt."
	// PlaceholderRequestID is the request's ID; value templates only.
	PlaceholderRequestID = "request_id"
)

// CompileTemplate compiles tmpl. Placeholders are {client_ip}, {path},
// {method}, {host}, {scheme} ("http" or "https"), {consumer}, {jwt.CLAIM}, {tls.client_cn} (the
// verified client certificate's subject CN), {query.NAME}, {header.NAME} and, for a route whose
// pattern captures, any of captureNames (a built-in name wins over a capture
// of the same name). Everything else is literal. An unknown placeholder, an
// empty one, or an unbalanced '{' or '}' is an error naming it and wrapping
// ErrBadTemplate.
func CompileTemplate(tmpl string, captureNames []string) (*Template, error) {
	return compileTemplate(tmpl, captureNames, false)
}

// CompileValueTemplate compiles a value template: a header value, a
// rewritten path or a redirect target, rendered with [Template.AppendValue].
// It accepts the placeholders of CompileTemplate and {request_id}, and
// refuses literal control characters (CR, LF, NUL...), so no output ever
// holds one.
func CompileValueTemplate(tmpl string, captureNames []string) (*Template, error) {
	for i := 0; i < len(tmpl); i++ {
		if c := tmpl[i]; c < 0x20 && c != '\t' || c == 0x7f {
			return nil, fmt.Errorf("%w %q: control character at offset %d", ErrBadTemplate, tmpl, i)
		}
	}
	return compileTemplate(tmpl, captureNames, true)
}

func compileTemplate(tmpl string, captureNames []string, value bool) (*Template, error) {
	t := &Template{src: tmpl}
	lit := 0 // start of pending literal text
	flush := func(end int) {
		if end > lit {
			t.parts = append(t.parts, part{kind: partLit, text: tmpl[lit:end]})
		}
	}
	for i := 0; i < len(tmpl); i++ {
		switch tmpl[i] {
		case '}':
			return nil, fmt.Errorf("%w %q: unbalanced '}' at offset %d", ErrBadTemplate, tmpl, i)
		case '{':
			end := strings.IndexAny(tmpl[i+1:], "{}")
			if end < 0 || tmpl[i+1+end] != '}' {
				return nil, fmt.Errorf("%w %q: unbalanced '{' at offset %d", ErrBadTemplate, tmpl, i)
			}
			name := tmpl[i+1 : i+1+end]
			p, err := placeholder(name, captureNames)
			if err == nil && p.kind == partRequestID && !value {
				err = fmt.Errorf("{%s} is unique to each request: a key made of it never repeats (it is for header values, rewrites and redirects)", name)
			}
			if err != nil {
				return nil, fmt.Errorf("%w %q: %v", ErrBadTemplate, tmpl, err)
			}
			flush(i)
			t.parts = append(t.parts, p)
			if p.kind == partQuery {
				t.queries = append(t.queries, p.text)
			}
			i += end + 1
			lit = i + 1
		}
	}
	flush(len(tmpl))
	return t, nil
}

func placeholder(name string, captureNames []string) (part, error) {
	switch name {
	case PlaceholderClientIP:
		return part{kind: partClientIP, text: name}, nil
	case PlaceholderPath:
		return part{kind: partPath, text: name}, nil
	case PlaceholderMethod:
		return part{kind: partMethod, text: name}, nil
	case PlaceholderHost:
		return part{kind: partHost, text: name}, nil
	case PlaceholderScheme:
		return part{kind: partScheme, text: name}, nil
	case PlaceholderConsumer:
		return part{kind: partConsumer, text: name}, nil
	case PlaceholderClientCN:
		return part{kind: partClientCN, text: name}, nil
	case PlaceholderRequestID:
		return part{kind: partRequestID, text: name}, nil
	case "":
		return part{}, fmt.Errorf("empty placeholder {}")
	}
	if q, ok := strings.CutPrefix(name, placeholderQuery); ok {
		if q == "" {
			return part{}, fmt.Errorf("placeholder {%s} needs a parameter name", name)
		}
		return part{kind: partQuery, text: q}, nil
	}
	if c, ok := strings.CutPrefix(name, PlaceholderClaim); ok {
		if c == "" {
			return part{}, fmt.Errorf("placeholder {%s} needs a claim name", name)
		}
		return part{kind: partClaim, text: name}, nil
	}
	if h, ok := strings.CutPrefix(name, placeholderHeader); ok {
		if !ascii.IsToken(h) {
			return part{}, fmt.Errorf("placeholder {%s} needs a valid header name", name)
		}
		return part{kind: partHeader, text: h, key: []byte(h)}, nil
	}
	for _, c := range captureNames {
		if c == name {
			return part{kind: partCapture, text: name}, nil
		}
	}
	return part{}, fmt.Errorf("unknown placeholder {%s}", name)
}

// QueryNames returns the names of the template's {query.NAME} placeholders
// in template order; nil when it has none. The slice is shared: do not
// modify it.
func (t *Template) QueryNames() []string { return t.queries }

// String returns the template source.
func (t *Template) String() string { return t.src }

// Uses reports whether the template has the placeholder name ("client_ip",
// "query.page", a capture name...). "query" and "header" report whether any
// placeholder of that kind is used.
func (t *Template) Uses(name string) bool {
	for _, p := range t.parts {
		switch p.kind {
		case partLit:
			continue
		case partQuery:
			if name == "query" || len(name) == len(placeholderQuery)+len(p.text) && strings.HasPrefix(name, placeholderQuery) && name[len(placeholderQuery):] == p.text {
				return true
			}
		case partHeader:
			if name == "header" || len(name) == len(placeholderHeader)+len(p.text) && strings.HasPrefix(name, placeholderHeader) && name[len(placeholderHeader):] == p.text {
				return true
			}
		default:
			if p.text == name {
				return true
			}
		}
	}
	return false
}

// Append appends the key for one request to dst (see Template for the
// encoding). v may be nil. Append does not allocate when dst has room.
func (t *Template) Append(dst []byte, ctx *fasthttp.RequestCtx, v *Vars) []byte {
	if v == nil {
		v = &Vars{}
	}
	for i := range t.parts {
		p := &t.parts[i]
		switch p.kind {
		case partLit:
			dst = append(dst, p.text...)
		case partClientIP:
			dst = appendValue(dst, v.ClientKey, v.ClientKey != nil)
		case partPath:
			dst = appendValue(dst, v.Path, v.Path != nil)
		case partMethod:
			dst = appendValue(dst, ctx.Method(), true)
		case partHost:
			h := ctx.Host()
			dst = strconv.AppendInt(dst, int64(len(h)), 10)
			dst = append(dst, ':')
			for _, c := range h {
				if 'A' <= c && c <= 'Z' {
					c += 'a' - 'A'
				}
				dst = append(dst, c)
			}
		case partScheme:
			if v.TLS {
				dst = append(dst, "5:https"...)
			} else {
				dst = append(dst, "4:http"...)
			}
		case partClientCN:
			if v.ClientCN == "" {
				dst = append(dst, '-')
			} else {
				dst = strconv.AppendInt(dst, int64(len(v.ClientCN)), 10)
				dst = append(dst, ':')
				dst = append(dst, v.ClientCN...)
			}
		case partQuery:
			args := ctx.QueryArgs()
			dst = appendValue(dst, args.Peek(p.text), args.Has(p.text))
		case partHeader:
			h := ctx.Request.Header.PeekBytes(p.key)
			dst = appendValue(dst, h, h != nil)
		case partConsumer:
			if v.Consumer == "" {
				dst = append(dst, '-')
			} else {
				dst = strconv.AppendInt(dst, int64(len(v.Consumer)), 10)
				dst = append(dst, ':')
				dst = append(dst, v.Consumer...)
			}
		case partClaim:
			var c []byte
			ok := false
			if v.Claims != nil {
				c, ok = v.Claims.Claim(p.text[len(PlaceholderClaim):])
			}
			dst = appendValue(dst, c, ok)
		case partCapture:
			var c []byte
			if v.Caps != nil {
				c = v.Caps.Get(p.text, v.Path)
			}
			dst = appendValue(dst, c, c != nil)
		case partRequestID:
			dst = appendValue(dst, v.RequestID, len(v.RequestID) > 0)
		}
	}
	return dst
}

func appendValue(dst, val []byte, present bool) []byte {
	if !present {
		return append(dst, '-')
	}
	dst = strconv.AppendInt(dst, int64(len(val)), 10)
	dst = append(dst, ':')
	return append(dst, val...)
}
