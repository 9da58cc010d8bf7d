package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/premier-gateway/premier/proxy"
	"github.com/premier-gateway/premier/proxy/config"
	"github.com/premier-gateway/premier/ui/source"
)

// headerFlags collects repeated -header "Name: value" flags.
type headerFlags []string

func (h *headerFlags) String() string     { return strings.Join(*h, ", ") }
func (h *headerFlags) Set(v string) error { *h = append(*h, v); return nil }

// jsonProblem is one -check -format json entry.
type jsonProblem struct {
	File     string `json:"file"`
	Line     int    `json:"line"`
	Column   int    `json:"column"`
	Severity string `json:"severity"`
	Message  string `json:"message"`
}

// checkJSON prints -check's findings as one JSON array (errors, then
// warnings) for editors and CI; the exit code is -check's: 1 when the file
// is refused, 0 otherwise.
func checkJSON(stdout io.Writer, path string, loaded *config.Loaded, err error) int {
	out := []jsonProblem{}
	add := func(p config.Problem) {
		out = append(out, jsonProblem{File: p.File, Line: p.Line, Column: p.Col, Severity: p.Severity.String(), Message: p.Msg})
	}
	code := 0
	if err != nil {
		code = 1
		var ps config.Problems
		if errors.As(err, &ps) {
			for _, p := range ps {
				add(p)
			}
		} else {
			add(config.Problem{File: path, Msg: err.Error()})
		}
	} else {
		for _, w := range loaded.Warnings {
			add(w)
		}
	}
	b, _ := json.MarshalIndent(out, "", "  ")
	fmt.Fprintf(stdout, "%s\n", b)
	return code
}

// explain prints what the gateway configured by loaded would do with the
// request "METHOD URL" (the method may be left out: GET).
func explain(stdout, stderr io.Writer, loaded *config.Loaded, request, clientIP string, headers []string, format string) int {
	q := source.ExplainQuery{URL: strings.TrimSpace(request), ClientIP: clientIP, Headers: headers}
	if m, u, ok := strings.Cut(q.URL, " "); ok {
		q.Method, q.URL = m, strings.TrimSpace(u)
	}
	gw, err := proxy.New(loaded, proxy.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		fmt.Fprintf(stderr, "premier: %v\n", err)
		return 1
	}
	defer gw.Close()
	e, err := gw.Explain(q)
	if err != nil {
		fmt.Fprintf(stderr, "premier: %v\n", err)
		return 2
	}
	if format == "json" {
		b, _ := json.MarshalIndent(e, "", "  ")
		fmt.Fprintf(stdout, "%s\n", b)
		return 0
	}
	printExplanation(stdout, &e)
	return 0
}

func printExplanation(w io.Writer, e *source.Explanation) {
	fmt.Fprintf(w, "%s %s\n  host %s, path %s, client %s\n", e.Method, e.URL, e.Host, e.Path, e.ClientIP)
	if a := e.Answered; a != nil {
		status := "answered by the gateway"
		if a.Status != 0 {
			status = fmt.Sprintf("answered by the gateway: %d", a.Status)
		}
		fmt.Fprintf(w, "%s, before any rule: %s\n", status, a.Reason)
		if a.Location != "" {
			fmt.Fprintf(w, "  Location: %s\n", a.Location)
		}
		return
	}
	if e.Rule == 0 {
		fmt.Fprintf(w, "no rule matches: default_features apply\n")
	} else {
		fmt.Fprintf(w, "rule %d: %s\n", e.Rule, e.Pattern)
	}
	if len(e.Skipped) > 0 {
		fmt.Fprintf(w, "  rules before it:\n")
		for _, s := range e.Skipped {
			why := s.Reason
			if s.Name != "" {
				why += " " + s.Name
			}
			fmt.Fprintf(w, "    %d %s: %s does not match\n", s.Rule, s.Pattern, why)
		}
	}
	if len(e.Policies) == 0 {
		fmt.Fprintf(w, "  policies: none\n")
	} else {
		fmt.Fprintf(w, "  policies, in order:\n")
		for _, p := range e.Policies {
			fmt.Fprintf(w, "    %s: %s\n", p.Name, p.Detail)
		}
	}
	if len(e.Backends) == 0 {
		fmt.Fprintf(w, "  backends: none\n")
	} else if e.LB != "" {
		fmt.Fprintf(w, "  backends (%s): %s\n", e.LB, strings.Join(e.Backends, ", "))
	} else {
		fmt.Fprintf(w, "  backends: %s\n", strings.Join(e.Backends, ", "))
	}
	if e.CacheKey != "" {
		fmt.Fprintf(w, "  cache key: %s\n", e.CacheKey)
	}
	if e.RateLimitKey != "" {
		fmt.Fprintf(w, "  rate-limit key: %s\n", e.RateLimitKey)
	}
	for _, n := range e.Notes {
		fmt.Fprintf(w, "  note: %s\n", n)
	}
}
