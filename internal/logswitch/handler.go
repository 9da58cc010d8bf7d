package logswitch

import (
	"context"
	"io"
	"log/slog"
	"sync/atomic"
)

// Handler writes through a text or a JSON handler, whichever is chosen
// now, at the level chosen now. Loggers derived from it (With, WithGroup)
// follow later changes too: each derivation keeps both forms.
type Handler struct {
	level *slog.LevelVar
	json  *atomic.Bool
	text  slog.Handler
	js    slog.Handler
}

// New returns a Handler writing to w, text at info level until Set.
func New(w io.Writer) *Handler {
	lv := &slog.LevelVar{}
	o := &slog.HandlerOptions{Level: lv}
	return &Handler{level: lv, json: &atomic.Bool{}, text: slog.NewTextHandler(w, o), js: slog.NewJSONHandler(w, o)}
}

// Set chooses the level ("debug", "info", "warn", "error") and the format
// ("text", "json"); other values leave that setting as it is.
func (h *Handler) Set(level, format string) {
	var l slog.Level
	if l.UnmarshalText([]byte(level)) == nil {
		h.level.Set(l)
	}
	switch format {
	case "text":
		h.json.Store(false)
	case "json":
		h.json.Store(true)
	}
}

func (h *Handler) current() slog.Handler {
	if h.json.Load() {
		return h.js
	}
	return h.text
}

// Enabled reports whether l is at or above the chosen level.
func (h *Handler) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level.Level() }

// Handle writes r in the chosen format.
func (h *Handler) Handle(ctx context.Context, r slog.Record) error { return h.current().Handle(ctx, r) }

// WithAttrs derives a Handler whose both forms carry attrs.
func (h *Handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &Handler{level: h.level, json: h.json, text: h.text.WithAttrs(attrs), js: h.js.WithAttrs(attrs)}
}

// WithGroup derives a Handler whose both forms open group name.
func (h *Handler) WithGroup(name string) slog.Handler {
	return &Handler{level: h.level, json: h.json, text: h.text.WithGroup(name), js: h.js.WithGroup(name)}
}
