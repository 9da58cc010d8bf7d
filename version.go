package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"

	"github.com/premier-gateway/premier/proxy"
)

// commit is the source revision the binary was built from, stamped at build
// time (make dist, the Dockerfile) with
// -ldflags "-X main.commit=REV"; the version is stamped into proxy.Version
// so the dashboard, the metrics and -version report one value.
var commit = ""

// fasthttpModule is the module whose version -version reports: the HTTP
// engine, the dependency a bug report most often needs.
const fasthttpModule = "github.com/valyala/fasthttp"

// unstamped is proxy.Version's value when no -X stamped it.
const unstamped = "dev"

func init() {
	// A `go install module@vX.Y.Z` binary is not stamped but knows its
	// module version: report that rather than "dev", everywhere.
	if proxy.Version == unstamped {
		if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			proxy.Version = bi.Main.Version
		}
	}
}

// buildVersion is what -version prints, gathered from the stamps and the
// build information the Go toolchain embeds in every binary.
type buildVersion struct {
	Version, Commit, Go, FastHTTP string
}

func currentVersion() buildVersion {
	v := buildVersion{Version: proxy.Version, Commit: commit, Go: runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH, FastHTTP: "unknown"}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		if v.Commit == "" {
			v.Commit = "unknown"
		}
		return v
	}
	for _, d := range bi.Deps {
		if d.Path == fasthttpModule {
			if d.Replace != nil {
				d = d.Replace
			}
			v.FastHTTP = d.Version
		}
	}
	if v.Commit == "" {
		// A plain `go build` inside a git checkout records the revision
		// (unless -buildvcs=false, as the Makefile sets, then stamps it).
		v.Commit = "unknown"
		modified := false
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				v.Commit = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
		if modified && v.Commit != "unknown" {
			v.Commit += "-dirty"
		}
	}
	return v
}

// printVersion writes -version's answer: the first line "premier VERSION"
// as before, then one "name: value" line each for scripts to pick.
func printVersion(w io.Writer) {
	v := currentVersion()
	fmt.Fprintf(w, "premier %s\ncommit: %s\ngo: %s\nfasthttp: %s\n", v.Version, v.Commit, v.Go, v.FastHTTP)
}
