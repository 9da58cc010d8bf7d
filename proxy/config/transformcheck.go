package config

import (
	"strings"

	"github.com/premier-gateway/premier/proxy/route"
)

// Transform is a rule's compiled rewrite, header rules and redirect: what
// the request path applies, built once when the config is checked.
type Transform struct {
	// Rewrite is the path rewrite (nil: none); DropQuery drops the query.
	Rewrite   *route.Rewrite
	DropQuery bool
	// Request and Response are the header rules (nil: none).
	Request, Response *HeaderOps
	// Redirect is the rule's redirect (nil: none).
	Redirect *RedirectTarget
}

// HeaderOps is one compiled header rule set, applied in order: Remove,
// Set, Add.
type HeaderOps struct {
	Remove [][]byte
	Set    []HeaderOp
	Add    []HeaderOp
	// Always: response rules apply to the gateway's own answers too.
	Always bool
}

// HeaderOp is one header name and its value template.
type HeaderOp struct {
	Name  []byte
	Value *route.Template
}

// RedirectTarget is a compiled redirect.
type RedirectTarget struct {
	To        *route.Template
	Status    int
	DropQuery bool
}

// Transform is the compiled transform of rule i (-1: default_features);
// nil when it has none.
func (l *Loaded) Transform(i int) *Transform { return l.rules.transforms[l.slot(i)] }

// compileTransform compiles f's rewrite, header rules and redirect,
// reporting each problem at its key; nil when f has none.
func (l *Loaded) compileTransform(d *decoder, f *Features, caps []string) *Transform {
	if f.Rewrite == nil && f.RequestHeaders == nil && f.ResponseHeaders == nil && f.Redirect == nil {
		return nil
	}
	at := func(owner any, key string) pos { return d.keys[owner][key] }
	prefix := l.Config.Dashboard.Prefix
	t := &Transform{}
	if rw := f.Rewrite; rw != nil {
		r, err := route.CompileRewrite(route.RewriteSpec{StripPrefix: rw.StripPrefix, AddPrefix: rw.AddPrefix,
			Path: rw.Path, Regex: rw.Regex, Replace: rw.Replace}, caps)
		switch {
		case err != nil:
			d.errAt(at(f, "rewrite"), "rewrite: %v", err)
		case prefix != "" && underReserved(r.Literal(), prefix):
			d.errAt(at(f, "rewrite"), "rewrite: its paths start with %s, the dashboard's reserved prefix: the gateway never sends such a path to a backend", prefix)
		default:
			t.Rewrite = r
		}
		t.DropQuery = rw.Query == QueryDrop
	}
	if h := f.RequestHeaders; h != nil {
		if h.Always {
			d.errAt(at(h, "always"), "always: only for response_headers (request rules apply to every request sent to a backend)")
		}
		t.Request = l.compileHeaderOps(d, h, caps, "request_headers", gatewayRequestHeader)
	}
	if h := f.ResponseHeaders; h != nil {
		t.Response = l.compileHeaderOps(d, h, caps, "response_headers", gatewayResponseHeader)
	}
	if r := f.Redirect; r != nil {
		tmpl, err := route.CompileValueTemplate(r.To, caps)
		if err != nil {
			d.errAt(at(r, "to"), "to: %v", err)
		} else {
			t.Redirect = &RedirectTarget{To: tmpl, Status: r.Status, DropQuery: r.Query == QueryDrop}
		}
	}
	return t
}

func (l *Loaded) compileHeaderOps(d *decoder, h *HeaderRules, caps []string, key string, reserved func(string) string) *HeaderOps {
	at := func(k string) pos { return d.keys[h][k] }
	ops := &HeaderOps{Always: h.Always}
	refuse := func(k, name string) bool {
		if why := reserved(name); why != "" {
			d.errAt(at(k), "%s: %s.%s may not name %s: it is %s", k, key, k, name, why)
			return true
		}
		return false
	}
	for _, n := range h.Remove {
		if !refuse("remove", n) {
			ops.Remove = append(ops.Remove, []byte(n))
		}
	}
	for _, list := range []struct {
		k   string
		in  HeaderFields
		out *[]HeaderOp
	}{{"set", h.Set, &ops.Set}, {"add", h.Add, &ops.Add}} {
		for _, f := range list.in {
			if refuse(list.k, f.Name) {
				continue
			}
			t, err := route.CompileValueTemplate(f.Value, caps)
			if err != nil {
				d.errAt(at(list.k), "%s: header %s: %v", list.k, f.Name, err)
				continue
			}
			*list.out = append(*list.out, HeaderOp{Name: []byte(f.Name), Value: t})
		}
	}
	if strings.EqualFold(key, "response_headers") && h.Always {
		for _, f := range h.Set {
			if strings.EqualFold(f.Name, "Retry-After") {
				l.warnf(at("set"), "set: Retry-After with always: true replaces the value the gateway computes on its 503 and 429 answers")
			}
		}
	}
	return ops
}
