package docscheck

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Fixtures are the environment variables the documented examples may use.
// Each `${NAME}` an example uses without a `:-default` must be here, so a
// new variable is a deliberate addition with a value that passes
// validation. (The files they may name are FixtureFiles.)
type Fixtures map[string]string

// DefaultFixtures are the values the examples in README.md and docs/ use.
func DefaultFixtures() Fixtures {
	return Fixtures{
		"PREMIER_DASHBOARD_TOKEN": "docs-check-dashboard-token",
		"REDIS_URL":               "redis://127.0.0.1:6379/0",
		"OTLP_AUTH":               "Bearer docs-check-token",
	}
}

// envRef is a `${NAME}` or `${NAME:-default}` reference; `$${` is a literal.
var envRef = regexp.MustCompile(`(\$?)\$\{([A-Za-z_][A-Za-z0-9_]*)(:-)?`)

// exampleName is the file name every example is written to; the check
// output names it, and CheckExamples maps it back to the document.
const exampleName = "premier-docs-example.yaml"

// CheckExamples runs `premier -check -config FILE` on every complete YAML
// block of docs (see Block.Complete) and reports each one that fails, at
// the block's first line, with premier's own messages moved to the
// document's line numbers. premier is the path of a built premier binary.
// Warnings do not fail an example (premier -check exits 0 with them); they
// are returned apart, as premier printed them but with document positions.
func CheckExamples(premier string, docs []Doc, fx Fixtures) (checked int, probs []Problem, warnings []string, err error) {
	premier, err = filepath.Abs(premier)
	if err != nil {
		return 0, nil, nil, err
	}
	dir, err := os.MkdirTemp("", "docscheck-")
	if err != nil {
		return 0, nil, nil, err
	}
	defer os.RemoveAll(dir)
	if err := writeFixtureFiles(dir); err != nil {
		return 0, nil, nil, err
	}
	env := os.Environ()
	names := make([]string, 0, len(fx))
	for k := range fx {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		env = append(env, k+"="+fx[k]) // later entries win in os/exec
	}
	for _, d := range docs {
		for _, b := range d.Blocks() {
			if (b.Info != "yaml" && b.Info != "yml") || !b.Complete() {
				continue
			}
			checked++
			if missing := missingEnv(b.Text, fx); len(missing) > 0 {
				probs = append(probs, Problem{File: b.Doc, Line: b.Line - 1, Msg: "example uses " +
					strings.Join(missing, ", ") + ": add a value to docscheck.DefaultFixtures"})
				continue
			}
			out, ok, err := runCheck(premier, dir, b.Text, env)
			if err != nil {
				return checked, probs, warnings, err
			}
			lines := relocate(out, b)
			if !ok {
				probs = append(probs, Problem{File: b.Doc, Line: b.Line - 1,
					Msg: "example does not pass premier -check:\n\t" + strings.Join(lines, "\n\t")})
				continue
			}
			warnings = append(warnings, lines...)
		}
	}
	return checked, probs, warnings, nil
}

// missingEnv lists the variables text needs that env does not give.
func missingEnv(text string, env Fixtures) []string {
	var out []string
	for _, m := range envRef.FindAllStringSubmatch(text, -1) {
		if m[1] == "$" || m[3] != "" {
			continue // literal `$${`, or a default given
		}
		if _, ok := env[m[2]]; !ok {
			out = append(out, "${"+m[2]+"}")
		}
	}
	return out
}

// runCheck writes text to dir and runs premier -check on it. ok is the
// verdict (exit status 0); out is everything premier printed except the
// success line.
func runCheck(premier, dir, text string, env []string) (out []string, ok bool, err error) {
	file := filepath.Join(dir, exampleName)
	if err := os.WriteFile(file, []byte(text+"\n"), 0o644); err != nil {
		return nil, false, err
	}
	cmd := exec.Command(premier, "-check", "-config", exampleName)
	cmd.Dir = dir
	cmd.Env = env
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	err = cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		return nil, false, fmt.Errorf("run %s: %w", premier, err)
	}
	for _, l := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		if l != "" && l != exampleName+": OK" {
			out = append(out, l)
		}
	}
	return out, err == nil, nil
}

// position is premier's FILE:LINE:COL prefix on the example file.
var position = regexp.MustCompile(regexp.QuoteMeta(exampleName) + `:(\d+):(\d+):`)

// relocate rewrites premier's positions in the example file into positions
// in the document the block is in; a message about the whole file points at
// the block's opening fence.
func relocate(lines []string, b Block) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		l = position.ReplaceAllStringFunc(l, func(m string) string {
			s := position.FindStringSubmatch(m)
			n, _ := strconv.Atoi(s[1])
			return fmt.Sprintf("%s:%d:%s:", b.Doc, b.Line+n-1, s[2])
		})
		out[i] = strings.ReplaceAll(l, exampleName+":", fmt.Sprintf("%s:%d:", b.Doc, b.Line-1))
	}
	return out
}
