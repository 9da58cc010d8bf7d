package config

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/goccy/go-yaml/token"
)

// RestoreRedacted returns text with each secret field that still holds
// Redacted set back to the value the running config's text (old) has
// there, byte for byte as old writes it. A placeholder is matched by field
// path: the field must have the same path in old and the same value around
// the placeholder (a Redis URL keeps its password only for the same URL,
// so an edit cannot send it to another host). A field moved in a list
// (servers reordered) is found by that value alone when the fields of old
// that have it agree on the credential. A placeholder with no such field is
// an error that names the field. A credential never moves to another field
// (the token into a server URL), not even through an alias: a kept field
// under an anchor is an error. A text that does not parse is returned
// unchanged, for Parse to report.
func RestoreRedacted(text, old []byte) ([]byte, error) {
	if !bytes.Contains(text, []byte(Redacted)) {
		return text, nil
	}
	next, ok := secretScalars(text)
	if !ok {
		return text, nil
	}
	prev, _ := secretScalars(old)
	var edits []edit
	var errs []error
	for _, sc := range next {
		if !strings.Contains(sc.value, Redacted) {
			continue
		}
		src, err := keptSecret(sc, prev)
		if err == nil && sc.anchored {
			// `token: &t <redacted>` with `prefix: *t` would copy the kept
			// token into a field whose error quotes its value: the answer
			// to a validate would hand the token to whoever sent the text.
			err = fmt.Errorf("%s: a field that keeps %s must not carry an anchor (&name), nor sit in a collection that does: aliases would copy the kept value into other fields", sc.path, Redacted)
		}
		if err == nil && sc.end == 0 {
			err = fmt.Errorf("%s: write the field holding %s on one line (a quoted or plain scalar) so its value can be kept", sc.path, Redacted)
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if src.end > 0 {
			edits = append(edits, edit{sc.start, sc.end, string(old[src.start:src.end])})
		} else {
			edits = append(edits, edit{sc.start, sc.end, quoteScalar(token.DoubleQuoteType, src.value)})
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return applyEdits(text, edits), nil
}

// keptSecret finds the field of prev whose credential sc's placeholder
// keeps.
func keptSecret(sc secretScalar, prev []secretScalar) (secretScalar, error) {
	var match *secretScalar
	unique := true
	for i := range prev {
		p := &prev[i]
		if p.secret == "" || p.field != sc.field || p.redacted != sc.value {
			continue
		}
		if p.path == sc.path {
			return *p, nil
		}
		if match != nil && match.value != p.value {
			unique = false
		}
		match = p
	}
	if match != nil && unique {
		return *match, nil
	}
	return secretScalar{}, fmt.Errorf("%s: %s keeps a credential only where the running config has one with the same value around it; write the credential itself (changing a URL needs its password again)", sc.path, Redacted)
}
