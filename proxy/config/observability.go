package config

import (
	"errors"
	"fmt"
	"strings"

	"github.com/premier-gateway/premier/internal/ascii"
	"github.com/premier-gateway/premier/proxy/accesslog"
)

// RequestID is the top-level `request_id` block: the header that carries
// each request's ID to the backend and back to the client.
type RequestID struct {
	// Enabled keeps a well-formed incoming ID or mints one, and sends it
	// both ways. Default true.
	Enabled bool `yaml:"enabled"`
	// Header is the request and response header carrying the ID.
	// Default "X-Request-ID".
	Header string `yaml:"header"`
}

// Defaults fills the defaults into a zero RequestID before it is decoded.
func (r *RequestID) Defaults() {
	r.Enabled = true
	r.Header = "X-Request-ID"
}

// Validate checks the request_id block.
func (r *RequestID) Validate() error {
	if !ascii.IsToken(r.Header) {
		return fmt.Errorf("header: %q is not a header name", r.Header)
	}
	return nil
}

// AccessLog is the top-level `access_log` block: one line per finished
// request. Without the block nothing is logged.
type AccessLog struct {
	// Path is where the lines go: "stdout", "stderr" or a file, appended
	// to and reopened on SIGUSR1 (after logrotate moved it). Required.
	Path string `yaml:"path"`
	// Format is "json" (one object per line), "combined" (nginx's) or a
	// template of {variables}. Default "json".
	Format string `yaml:"format"`
	// Buffer is how many records wait for the writer at most; when the
	// sink cannot keep up, newer records are dropped and counted rather
	// than slowing a request. Default 4096.
	Buffer int `yaml:"buffer"`
}

// Access log formats besides a template.
const (
	AccessLogJSON     = "json"
	AccessLogCombined = "combined"
)

// MaxAccessLogBuffer bounds access_log.buffer (records of a few KiB each).
const MaxAccessLogBuffer = 1 << 20

// Defaults fills the defaults into a zero AccessLog before it is decoded.
func (a *AccessLog) Defaults() {
	a.Format = AccessLogJSON
	a.Buffer = 4096
}

// Validate checks the access_log block.
func (a *AccessLog) Validate() error {
	var errs []error
	if a.Path == "" {
		errs = append(errs, errors.New("path: required: stdout, stderr or a file"))
	}
	if a.Format != AccessLogJSON && a.Format != AccessLogCombined && !strings.Contains(a.Format, "{") {
		errs = append(errs, fmt.Errorf("format: must be json, combined or a template with {variables}, got %q", a.Format))
	} else if err := accesslog.CheckFormat(a.Format); err != nil {
		errs = append(errs, fmt.Errorf("format: %v", err))
	}
	if a.Buffer < 1 || a.Buffer > MaxAccessLogBuffer {
		errs = append(errs, fmt.Errorf("buffer: must be 1 to %d records, got %d", MaxAccessLogBuffer, a.Buffer))
	}
	return errors.Join(errs...)
}

// Log is the top-level `log` block: the gateway's own log lines.
type Log struct {
	// Level is the least severe level written: debug, info, warn or
	// error. Default "info".
	Level string `yaml:"level"`
	// Format is "text" (key=value) or "json". Default "text".
	Format string `yaml:"format"`
}

// Defaults fills the defaults into a zero Log before it is decoded.
func (l *Log) Defaults() {
	l.Level = "info"
	l.Format = "text"
}

// Validate checks the log block.
func (l *Log) Validate() error {
	var errs []error
	switch l.Level {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("level: must be debug, info, warn or error, got %q", l.Level))
	}
	if l.Format != "text" && l.Format != "json" {
		errs = append(errs, fmt.Errorf("format: must be text or json, got %q", l.Format))
	}
	return errors.Join(errs...)
}
