package proxy

import (
	"bytes"

	"github.com/valyala/fasthttp"
)

// A request's header fields are read from the head as it will be written
// (RequestHeader.AppendBytes), never through RequestHeader.All: All makes
// fasthttp parse the Cookie header, and from then on fasthttp writes the
// cookies back re-serialised (quotes dropped, separators changed, values
// it finds invalid left out) instead of the line the client sent.

// appendHead appends h as it will be written to the backend.
func appendHead(dst []byte, h *fasthttp.RequestHeader) []byte { return h.AppendBytes(dst) }

// fieldScanner walks the fields of a head made by appendHead.
type fieldScanner struct{ b []byte }

func newFieldScanner(head []byte) fieldScanner {
	i := bytes.IndexByte(head, '\n') // past the request line
	if i < 0 {
		return fieldScanner{}
	}
	return fieldScanner{head[i+1:]}
}

// next returns the next field's name and value; ok is false after the last.
func (s *fieldScanner) next() (k, v []byte, ok bool) {
	for len(s.b) > 0 {
		line := s.b
		if i := bytes.IndexByte(s.b, '\n'); i >= 0 {
			line, s.b = s.b[:i], s.b[i+1:]
		} else {
			s.b = nil
		}
		line = bytes.TrimSuffix(line, strCR)
		if len(line) == 0 { // the blank line ending the head
			s.b = nil
			break
		}
		c := bytes.IndexByte(line, ':') // fasthttp writes "name: value"
		if c <= 0 {
			continue
		}
		k, v = line[:c], line[c+1:]
		if len(v) > 0 && v[0] == ' ' {
			v = v[1:]
		}
		return k, v, true
	}
	return nil, nil, false
}

// eachRequestField calls f for every field of h, without parsing cookies.
// Rare paths only: it allocates.
func eachRequestField(h *fasthttp.RequestHeader, f func(k, v []byte)) {
	s := newFieldScanner(appendHead(nil, h))
	for k, v, ok := s.next(); ok; k, v, ok = s.next() {
		f(k, v)
	}
}

var strCR = []byte("\r")
