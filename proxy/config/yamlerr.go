package config

import (
	"errors"
	"strings"

	"github.com/goccy/go-yaml"
)

// yamlSyntaxError turns a go-yaml parse error into a positioned Problem.
func yamlSyntaxError(name string, err error) Problem {
	var se *yaml.SyntaxError
	if errors.As(err, &se) && se.Token != nil && se.Token.Position != nil {
		return Problem{File: name, Line: se.Token.Position.Line, Col: se.Token.Position.Column, Msg: "YAML syntax: " + se.Message}
	}
	msg := err.Error()
	if i := strings.IndexByte(msg, '\n'); i > 0 {
		msg = msg[:i]
	}
	return Problem{File: name, Msg: "YAML syntax: " + msg}
}
