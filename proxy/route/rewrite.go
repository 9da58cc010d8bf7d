package route

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/valyala/fasthttp"
)

// RewriteSpec is what a rule's rewrite says: StripPrefix and AddPrefix
// (either or both: the prefix is stripped, then the other added), or Path
// (a value template), or Regex with Replace.
type RewriteSpec struct {
	StripPrefix string
	AddPrefix   string
	Path        string
	Regex       string
	Replace     string
}

// Rewrite is a compiled path rewrite. Its output is always a normalised
// path (NormalizePath's fixed point): whatever a template's values or a
// regex produce, the result has no dot segments, no repeated slashes, no
// raw '?', '#', ';', '\\' or control byte, and starts with '/'. It is
// immutable and safe for concurrent use.
type Rewrite struct {
	strip, add []byte
	tmpl       *Template
	repl       *Replacer
}

// ErrBadRewrite reports a rewrite that does not compile.
var ErrBadRewrite = errors.New("route: bad rewrite")

// CompileRewrite compiles s for a rule with the given capture names.
func CompileRewrite(s RewriteSpec, captureNames []string) (*Rewrite, error) {
	prefixes := s.StripPrefix != "" || s.AddPrefix != ""
	n := 0
	for _, on := range []bool{prefixes, s.Path != "", s.Regex != ""} {
		if on {
			n++
		}
	}
	switch {
	case n == 0:
		return nil, fmt.Errorf("%w: set strip_prefix and/or add_prefix, or path, or regex with replace", ErrBadRewrite)
	case n > 1:
		return nil, fmt.Errorf("%w: strip_prefix/add_prefix, path and regex are alternatives: set one", ErrBadRewrite)
	case s.Replace != "" && s.Regex == "":
		return nil, fmt.Errorf("%w: replace needs regex", ErrBadRewrite)
	}
	r := &Rewrite{}
	for _, pf := range []struct {
		key, v string
		dst    *[]byte
	}{{"strip_prefix", s.StripPrefix, &r.strip}, {"add_prefix", s.AddPrefix, &r.add}} {
		if pf.v == "" {
			continue
		}
		if !plainPrefix(pf.v) {
			return nil, fmt.Errorf("%w: %s %q must be a normalised path like /api (a leading '/', no trailing '/', no '.' or '..' segment, no '?', '#', ';', '\\\\', '%%' or '//')", ErrBadRewrite, pf.key, pf.v)
		}
		*pf.dst = []byte(pf.v)
	}
	if s.Path != "" {
		if !strings.HasPrefix(s.Path, "/") {
			return nil, fmt.Errorf("%w: path %q must start with '/'", ErrBadRewrite, s.Path)
		}
		if err := pathLiteral(s.Path); err != nil {
			return nil, fmt.Errorf("%w: path %q: %v", ErrBadRewrite, s.Path, err)
		}
		t, err := CompileValueTemplate(s.Path, captureNames)
		if err != nil {
			return nil, err
		}
		r.tmpl = t
	}
	if s.Regex != "" {
		if s.Replace == "" {
			return nil, fmt.Errorf("%w: regex needs replace", ErrBadRewrite)
		}
		rp, err := CompileReplacer(s.Regex, s.Replace)
		if err != nil {
			return nil, err
		}
		var lerr error
		rp.Literals(func(l string) {
			if err := pathLiteral(l); err != nil && lerr == nil {
				lerr = err
			}
		})
		if lerr != nil {
			return nil, fmt.Errorf("%w: replace %q: %v", ErrBadRewrite, s.Replace, lerr)
		}
		if strings.HasPrefix(s.Regex, "^") && !strings.HasPrefix(s.Replace, "/") {
			return nil, fmt.Errorf("%w: replace %q must start with '/' (the regex is anchored at the start of the path)", ErrBadRewrite, s.Replace)
		}
		r.repl = rp
	}
	return r, nil
}

// hasDotSegment reports whether p has a "." or ".." segment, in any
// spelling normalisation would take for one ("%2e", "%2E.").
func hasDotSegment(p []byte) bool {
	for len(p) > 0 {
		seg := p
		if i := bytes.IndexByte(p, '/'); i >= 0 {
			seg, p = p[:i], p[i+1:]
		} else {
			p = nil
		}
		dots := 0
		for i := 0; i < len(seg); {
			switch {
			case seg[i] == '.':
				i++
			case seg[i] == '%' && i+2 < len(seg) && seg[i+1] == '2' && (seg[i+2] == 'e' || seg[i+2] == 'E'):
				i += 3
			default:
				dots = -1
				i = len(seg)
				continue
			}
			dots++
		}
		if dots == 1 || dots == 2 {
			return true
		}
	}
	return false
}

// plainPrefix reports whether p is a normalised path prefix: "/x/y", not
// "/", "/x/", "/./x" or anything NormalizePath would change.
func plainPrefix(p string) bool {
	if len(p) < 2 || p[0] != '/' || p[len(p)-1] == '/' || strings.ContainsAny(p, "?#;\\%{}") {
		return false
	}
	n, err := NormalizePath(nil, []byte(p))
	return err == nil && string(n) == p
}

// pathLiteral refuses literal text a path may not hold as written.
func pathLiteral(s string) error {
	for i := 0; i < len(s); i++ {
		if c := s[i]; escapeTable[EscapePath][c] != 0 && c != '{' && c != '}' {
			return fmt.Errorf("%q may not appear in a path (offset %d): percent-encode it", c, i)
		}
	}
	return nil
}

// Literal reports the rewrite's fixed start: the add_prefix, or the path
// template's or the replacement's literal text before its first value
// ("" when it starts with a value). Checks made at load time compare it
// with the reserved prefix.
func (r *Rewrite) Literal() string {
	switch {
	case r.add != nil:
		return string(r.add)
	case r.tmpl != nil:
		if len(r.tmpl.parts) > 0 && r.tmpl.parts[0].kind == partLit {
			return r.tmpl.parts[0].text
		}
	case r.repl != nil && strings.HasPrefix(r.repl.re.String(), "^"):
		if len(r.repl.parts) > 0 && r.repl.parts[0].group < 0 {
			return r.repl.parts[0].lit
		}
	}
	return ""
}

// Append writes the rewritten, normalised path of the request (v.Path
// being its normalised path) to dst, using tmp as working space, and
// returns both grown buffers. A result NormalizePath refuses (a value
// holding "%2F", invalid UTF-8...) is ErrBadPath: the caller answers 400.
// It does not allocate when the buffers have room (see Replacer.Append for
// very large expressions).
func (r *Rewrite) Append(dst, tmp []byte, ctx *fasthttp.RequestCtx, v *Vars) ([]byte, []byte, error) {
	tmp = tmp[:0]
	switch {
	case r.tmpl != nil:
		tmp = r.tmpl.AppendValue(tmp, ctx, v, EscapePath)
	case r.repl != nil:
		var ok bool
		if tmp, ok = r.repl.Append(tmp, v.Path); !ok {
			tmp = append(tmp, v.Path...)
		}
	default:
		in := v.Path
		if r.strip != nil && HasPrefixSegment(in, r.strip) {
			in = in[len(r.strip):]
		}
		tmp = append(tmp, r.add...)
		switch {
		case len(in) > 0:
			tmp = append(tmp, in...)
		case len(tmp) == 0:
			tmp = append(tmp, '/')
		}
	}
	if (r.tmpl != nil || r.repl != nil) && hasDotSegment(tmp) {
		// A value with "../" would climb out of the template's prefix
		// ("/public/{query.f}" to "/admin"): refused, not resolved.
		return dst[:0], tmp, ErrBadPath
	}
	out, err := NormalizePath(dst[:0], tmp)
	if err != nil {
		return dst[:0], tmp, err
	}
	return out, tmp, nil
}
