package config

import (
	"fmt"
	"strings"
)

// Severity says whether a Problem refuses the config.
type Severity uint8

const (
	// SeverityError refuses the config: Parse and LoadFile return it.
	SeverityError Severity = iota
	// SeverityWarning lets the config load; Loaded.Warnings lists it.
	SeverityWarning
)

func (s Severity) String() string {
	if s == SeverityWarning {
		return "warning"
	}
	return "error"
}

// Problem is one finding in a config file, with its position. It is a
// value so that each reader (the CLI, the log, the dashboard) takes the
// fields it needs instead of parsing a formatted line.
type Problem struct {
	File string
	// Line and Col are 1-based; both are 0 when the problem has no
	// position (a missing file, a finding about the whole config).
	Line, Col int
	Severity  Severity
	Msg       string
}

// String formats p the way `premier -check` prints it:
// "FILE:LINE:COL: message", with "warning: " before a warning's message
// and "FILE: message" when p has no position.
func (p Problem) String() string {
	msg := p.Msg
	if p.Severity == SeverityWarning {
		msg = "warning: " + msg
	}
	if p.Line == 0 {
		return fmt.Sprintf("%s: %s", p.File, msg)
	}
	return fmt.Sprintf("%s:%d:%d: %s", p.File, p.Line, p.Col, msg)
}

// Problems is every problem found in one config file, in file order. As
// an error it is the problems that refused the file, one per line.
type Problems []Problem

func (ps Problems) Error() string {
	var b strings.Builder
	for i, p := range ps {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(p.String())
	}
	return b.String()
}
