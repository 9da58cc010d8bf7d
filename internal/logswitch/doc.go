// Package logswitch owns the gateway's own log handler whose level and
// format (text or JSON) change while it runs, so a config reload applies
// `log.level` and `log.format` to every logger already handed out.
package logswitch
