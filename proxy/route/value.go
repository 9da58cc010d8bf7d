package route

import (
	"github.com/valyala/fasthttp"
)

// Escape says how [Template.AppendValue] writes a placeholder's value.
// Literal text is written as compiled (CompileValueTemplate refuses control
// characters in it); values come from the request and are never trusted.
type Escape uint8

const (
	// EscapeHeader drops every control byte (CR, LF, NUL, and the other
	// C0 bytes but HTAB, and DEL) from values: the output can never end a
	// header line or start another.
	EscapeHeader Escape = iota
	// EscapePath percent-encodes every byte of a value that has another
	// meaning in a request target or is not allowed there (controls,
	// space, '"', '#', ';', '<', '>', '?', '\\', '^', '`', '{', '|', '}'):
	// a value stays data inside the path and cannot start a query, a
	// fragment or a second request line. The caller normalises the result.
	EscapePath
	// EscapeURL percent-encodes controls, space, bytes from 0x80 and the
	// characters never valid in a URI ('"', '<', '>', '\\', '^', '`',
	// '{', '|', '}'), for a Location header: the structure characters
	// ('/', '?', '#', '&', '=') of a value are kept as written.
	EscapeURL
)

// AppendValue appends the template rendered for one request to dst: every
// placeholder's value as it is (no length prefix; an absent value appends
// nothing), escaped as esc says. It does not allocate when dst has room.
// Use it with templates from CompileValueTemplate.
func (t *Template) AppendValue(dst []byte, ctx *fasthttp.RequestCtx, v *Vars, esc Escape) []byte {
	if v == nil {
		v = &Vars{}
	}
	for i := range t.parts {
		p := &t.parts[i]
		var val []byte
		switch p.kind {
		case partLit:
			dst = append(dst, p.text...)
			continue
		case partClientIP:
			val = v.ClientKey
		case partPath:
			val = v.Path
		case partMethod:
			val = ctx.Method()
		case partHost:
			dst = appendEscapedLower(dst, ctx.Host(), esc)
			continue
		case partScheme:
			if v.TLS {
				dst = append(dst, "https"...)
			} else {
				dst = append(dst, "http"...)
			}
			continue
		case partClientCN:
			dst = appendEscaped(dst, v.ClientCN, esc)
			continue
		case partConsumer:
			dst = appendEscaped(dst, v.Consumer, esc)
			continue
		case partQuery:
			val = ctx.QueryArgs().Peek(p.text)
		case partHeader:
			val = ctx.Request.Header.PeekBytes(p.key)
		case partClaim:
			if v.Claims != nil {
				val, _ = v.Claims.Claim(p.text[len(PlaceholderClaim):])
			}
		case partCapture:
			if v.Caps != nil {
				val = v.Caps.Get(p.text, v.Path)
			}
		case partRequestID:
			val = v.RequestID
		}
		dst = appendEscaped(dst, val, esc)
	}
	return dst
}

// escapeTable marks, per Escape, the bytes a value may not carry as is:
// 1 drops the byte, 2 percent-encodes it.
var escapeTable = func() (t [3][256]uint8) {
	for c := 0; c < 256; c++ {
		ctl := c < 0x20 && c != '\t' || c == 0x7f
		if ctl {
			t[EscapeHeader][c] = 1
		}
		never := ctl || c == '\t' || c == ' ' || c == '"' || c == '<' || c == '>' || c == '\\' || c == '^' || c == '`' || c == '{' || c == '|' || c == '}'
		if never || c == '#' || c == ';' || c == '?' {
			t[EscapePath][c] = 2
		}
		if never || c >= 0x80 {
			t[EscapeURL][c] = 2
		}
	}
	return t
}()

// appendEscaped appends val (bytes or a string) escaped by esc's table.
func appendEscaped[T []byte | string](dst []byte, val T, esc Escape) []byte {
	tab := &escapeTable[esc]
	for i := 0; i < len(val); i++ {
		c := val[i]
		switch tab[c] {
		case 0:
			dst = append(dst, c)
		case 2:
			dst = append(dst, '%', upperHex[c>>4], upperHex[c&15])
		}
	}
	return dst
}

// appendEscapedLower is appendEscaped lower-casing ASCII letters ({host}).
func appendEscapedLower(dst, val []byte, esc Escape) []byte {
	tab := &escapeTable[esc]
	for _, c := range val {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		switch tab[c] {
		case 0:
			dst = append(dst, c)
		case 2:
			dst = append(dst, '%', upperHex[c>>4], upperHex[c&15])
		}
	}
	return dst
}
