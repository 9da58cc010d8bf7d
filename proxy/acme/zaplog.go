package acme

import (
	"context"
	"log/slog"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// slogCore is a zapcore.Core that writes certmagic's zap entries to the
// gateway's slog logger, so the library's lines land in the one log with
// the one format and level instead of a second JSON stream on stderr.
// Levels map one to one (zap's DPanic, Panic and Fatal are errors; certmagic
// only logs them on its own panics), except certmagic's Info chatter: of
// the fifteen or so Info lines an order writes (locks, rate limiter,
// account lookups, maintenance started), only the events an operator acts
// on stay Info (infoEvents); the rest become Debug. Check asks the slog
// handler, so an entry below the log's level costs no field encoding.
type slogCore struct {
	log   *slog.Logger
	attrs []slog.Attr // fields of With, already converted
}

// newZapLogger returns a zap logger over l, named "acme" in every line.
func newZapLogger(l *slog.Logger) *zap.Logger {
	return zap.New(&slogCore{log: l.With(slog.String("component", "acme"))})
}

// infoEvents are certmagic's Info messages that stay Info: a certificate
// ordered, obtained or renewed, a validation answered, an account created,
// a revoked or expired certificate dealt with.
var infoEvents = map[string]bool{
	"obtaining certificate":                                  true,
	"certificate obtained successfully":                      true,
	"renewing certificate":                                   true,
	"certificate renewed successfully":                       true,
	"served key authentication":                              true,
	"served key authentication certificate":                  true,
	"new ACME account registered":                            true,
	"forcefully renewing certificate due to REVOKED status":  true,
	"removed certificate's compromised private key from use": true,
	"certificate expired beyond grace period; cleaning up":   true,
}

// entryLevel is the slog level of a certmagic entry.
func entryLevel(e zapcore.Entry) slog.Level {
	if e.Level == zapcore.InfoLevel && !infoEvents[e.Message] {
		return slog.LevelDebug
	}
	return slogLevel(e.Level)
}

func slogLevel(l zapcore.Level) slog.Level {
	switch {
	case l <= zapcore.DebugLevel:
		return slog.LevelDebug
	case l == zapcore.InfoLevel:
		return slog.LevelInfo
	case l == zapcore.WarnLevel:
		return slog.LevelWarn
	default:
		return slog.LevelError
	}
}

func (c *slogCore) Enabled(l zapcore.Level) bool {
	return c.log.Enabled(context.Background(), slogLevel(l))
}

func (c *slogCore) With(fields []zapcore.Field) zapcore.Core {
	attrs := make([]slog.Attr, 0, len(c.attrs)+len(fields))
	attrs = append(attrs, c.attrs...)
	return &slogCore{log: c.log, attrs: append(attrs, fieldAttrs(fields)...)}
}

func (c *slogCore) Check(e zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	if c.log.Enabled(context.Background(), entryLevel(e)) {
		return ce.AddCore(e, c)
	}
	return ce
}

func (c *slogCore) Write(e zapcore.Entry, fields []zapcore.Field) error {
	attrs := make([]slog.Attr, 0, len(c.attrs)+len(fields)+1)
	if e.LoggerName != "" {
		attrs = append(attrs, slog.String("logger", e.LoggerName))
	}
	attrs = append(attrs, c.attrs...)
	attrs = append(attrs, fieldAttrs(fields)...)
	c.log.LogAttrs(context.Background(), entryLevel(e), e.Message, attrs...)
	return nil
}

func (c *slogCore) Sync() error { return nil }

// fieldAttrs converts zap fields through zap's own map encoder, which knows
// every field type (errors, durations, objects, arrays); slog prints the
// values it gives back.
func fieldAttrs(fields []zapcore.Field) []slog.Attr {
	if len(fields) == 0 {
		return nil
	}
	enc := zapcore.NewMapObjectEncoder()
	attrs := make([]slog.Attr, 0, len(fields))
	for _, f := range fields {
		f.AddTo(enc)
		v, ok := enc.Fields[f.Key]
		if !ok {
			continue // a skipped or nil field adds nothing
		}
		attrs = append(attrs, slog.Any(f.Key, v))
	}
	return attrs
}
