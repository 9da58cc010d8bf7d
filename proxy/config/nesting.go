package config

import "fmt"

// maxNesting bounds how deeply collections may nest in a config. The YAML
// parser's work grows with depth × size (a 40 KiB line of "[[[[" costs
// seconds and hundreds of MiB), so deep input is refused before parsing;
// real configs nest fewer than ten levels.
const maxNesting = 64

// maxMappingKeys bounds the keys of one block mapping: the parser's work
// grows with their square (100 000 keys cost a minute and 30 GB of
// allocations). The schema's largest mapping has fewer than 30 keys.
const maxMappingKeys = 1000

// checkNesting scans the raw text and reports the first place where flow
// collections ([ and {) or block sequences written on one line (- - - x)
// nest deeper than maxNesting, or where a block mapping has more than
// maxMappingKeys keys (lines starting at one indentation under one
// parent). Quoted scalars and comments are skipped; nesting by indentation
// needs a byte per level per line, so the size limit bounds it.
func checkNesting(name string, data []byte) *Problem {
	depth, dashes := 0, 0
	type level struct{ col, keys int }
	var levels []level // block mapping keys per indentation, outermost first
	line, col := 1, 0
	var quote byte
	prev := byte('\n') // the last significant byte; '\n' at a line start
	tooDeep := func() *Problem {
		return &Problem{File: name, Line: line, Col: col,
			Msg: fmt.Sprintf("collections nested more than %d levels deep", maxNesting)}
	}
	for i := 0; i < len(data); i++ {
		c := data[i]
		col++
		if c == '\n' {
			line, col, prev, dashes = line+1, 0, '\n', 0
			continue
		}
		switch quote {
		case '"':
			if c == '\\' && i+1 < len(data) && data[i+1] != '\n' {
				i++
				col++
			} else if c == '"' {
				quote, prev = 0, c
			}
			continue
		case '\'':
			if c == '\'' {
				if i+1 < len(data) && data[i+1] == '\'' {
					i++
					col++
				} else {
					quote, prev = 0, c
				}
			}
			continue
		}
		if c == ' ' || c == '\t' || c == '\r' {
			continue
		}
		if prev == '\n' && depth == 0 && c != '#' {
			// A line's first byte outside flow collections: it ends the
			// deeper mappings; unless it is a sequence item, it is a key.
			for len(levels) > 0 && levels[len(levels)-1].col > col {
				levels = levels[:len(levels)-1]
			}
			item := c == '-' && (i+1 == len(data) || isYAMLSpace(data[i+1]))
			if n := len(levels); !item && n > 0 && levels[n-1].col == col {
				if levels[n-1].keys++; levels[n-1].keys > maxMappingKeys {
					return &Problem{File: name, Line: line, Col: col,
						Msg: fmt.Sprintf("mapping has more than %d keys", maxMappingKeys)}
				}
			} else if !item {
				levels = append(levels, level{col, 1})
			}
		}
		switch {
		case c == '#' && (i == 0 || isYAMLSpace(data[i-1])):
			for i+1 < len(data) && data[i+1] != '\n' {
				i++
			}
			continue
		case (c == '"' || c == '\'') && startsScalar(prev):
			quote = c
		case (c == '[' || c == '{') && (depth > 0 || startsScalar(prev)):
			if depth++; depth > maxNesting {
				return tooDeep()
			}
		case (c == ']' || c == '}') && depth > 0:
			depth--
		case (c == '-' || c == '?') && depth == 0 && (prev == '\n' || prev == '-' || prev == '?') &&
			(i+1 == len(data) || isYAMLSpace(data[i+1])):
			if dashes++; dashes > maxNesting {
				return tooDeep()
			}
		}
		prev = c
	}
	return nil
}

// startsScalar reports whether a value may begin after the significant
// byte p: at a line start or after an indicator.
func startsScalar(p byte) bool {
	switch p {
	case '\n', '[', '{', ',', ':', '-', '?':
		return true
	}
	return false
}

func isYAMLSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }
