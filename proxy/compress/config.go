package compress

import (
	"errors"
	"fmt"
	"strings"
)

// Config is the `compression` block: a rule's feature, or the top-level
// default for rules without one.
type Config struct {
	// Algorithms are the content codings offered, in the server's order of
	// preference (it breaks ties between codings the client weighs the
	// same): any of zstd, br, gzip, each once. An empty list turns
	// compression off (a rule opting out of the top-level default).
	// Default [zstd, br, gzip].
	Algorithms []string `yaml:"algorithms"`
	// MinBytes is the smallest body compressed; smaller ones go out as
	// they are (a body of unknown size, streamed, is always compressed).
	// Default 1024.
	MinBytes int `yaml:"min_bytes"`
	// Types are the media types compressed: exact ("application/json") or
	// a whole top-level type ("text/*"), compared without parameters and
	// ignoring case. Default [text/*, application/json,
	// application/javascript, image/svg+xml].
	Types []string `yaml:"types"`
	// Levels are the encoders' compression levels.
	Levels Levels `yaml:"levels"`
}

// Levels are the compression levels of each coding: higher is smaller and
// slower.
type Levels struct {
	// Zstd is the zstd level, 1 to 22 (mapped onto the encoder's four
	// speeds: 1 fastest, 2-5 default, 6-9 better, 10+ best). Default 3.
	Zstd int `yaml:"zstd"`
	// Br is the brotli quality, 0 to 9 (10 and 11 run encoder goroutines
	// per stream and take tens of milliseconds per 64 KiB: not for
	// on-the-fly compression). Default 4.
	Br int `yaml:"br"`
	// Gzip is the gzip level, 1 to 9, as nginx's gzip_comp_level.
	// Default 6.
	Gzip int `yaml:"gzip"`
}

// Defaults fills the defaults into a zero Config before it is decoded.
func (c *Config) Defaults() {
	c.Algorithms = []string{"zstd", "br", "gzip"}
	c.MinBytes = 1024
	c.Types = []string{"text/*", "application/json", "application/javascript", "image/svg+xml"}
	c.Levels.Defaults()
}

// Defaults fills the default levels.
func (l *Levels) Defaults() {
	l.Zstd, l.Br, l.Gzip = 3, 4, 6
}

// Enabled reports whether c offers any coding.
func (c *Config) Enabled() bool { return c != nil && len(c.Algorithms) > 0 }

// Validate checks the block; each error names its key.
func (c *Config) Validate() error {
	var errs []error
	seen := map[Coding]bool{}
	for _, a := range c.Algorithms {
		k := codingByName(a)
		switch {
		case k == Identity:
			errs = append(errs, fmt.Errorf("algorithms: unknown coding %q: use zstd, br or gzip", a))
		case seen[k]:
			errs = append(errs, fmt.Errorf("algorithms: %q listed twice", a))
		}
		seen[k] = true
	}
	if c.MinBytes < 0 {
		errs = append(errs, errors.New("min_bytes: must be >= 0"))
	}
	if len(c.Types) == 0 && len(c.Algorithms) > 0 {
		errs = append(errs, errors.New("types: required: list the media types to compress (e.g. text/*, application/json)"))
	}
	for _, t := range c.Types {
		if _, _, err := parseType(t); err != nil {
			errs = append(errs, fmt.Errorf("types: %q: %w", t, err))
		}
	}
	if l := c.Levels.Zstd; l < 1 || l > 22 {
		errs = append(errs, fmt.Errorf("levels.zstd: %d: must be 1 to 22", l))
	}
	if l := c.Levels.Br; l < 0 || l > 9 {
		errs = append(errs, fmt.Errorf("levels.br: %d: must be 0 to 9", l))
	}
	if l := c.Levels.Gzip; l < 1 || l > 9 {
		errs = append(errs, fmt.Errorf("levels.gzip: %d: must be 1 to 9", l))
	}
	return errors.Join(errs...)
}

// parseType splits a `types` entry into its lower-case type and subtype
// ("*" for a whole top-level type).
func parseType(t string) (typ, sub string, err error) {
	t = strings.ToLower(strings.TrimSpace(t))
	i := strings.IndexByte(t, '/')
	if i <= 0 || i == len(t)-1 || strings.ContainsAny(t, " ;,\t") {
		return "", "", errors.New(`not a media type: write "type/subtype" or "type/*", without parameters`)
	}
	typ, sub = t[:i], t[i+1:]
	if typ == "*" || strings.Contains(sub, "/") || strings.Contains(typ, "*") || strings.Contains(sub, "*") && sub != "*" {
		return "", "", errors.New(`only exact types and "type/*" are supported`)
	}
	return typ, sub, nil
}
