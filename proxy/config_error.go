package proxy

import (
	"fmt"
	"strings"
)

// ConfigError is one problem found in a config file, with its position.
type ConfigError struct {
	File      string
	Line, Col int
	Msg       string
}

func (e ConfigError) Error() string {
	if e.Line == 0 {
		return fmt.Sprintf("%s: %s", e.File, e.Msg)
	}
	return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Col, e.Msg)
}

// ConfigErrors is every problem found in one config file, in file order.
type ConfigErrors []ConfigError

func (es ConfigErrors) Error() string {
	var b strings.Builder
	for i, e := range es {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Error())
	}
	return b.String()
}
