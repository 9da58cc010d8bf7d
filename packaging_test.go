package main

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"debug/buildinfo"
	"debug/elf"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// The stamps the release-build tests give make and the Dockerfile's
// command; the same in both, so the second build is the first one's cache.
const (
	stampVersion = "v0.0.0-packaging-test"
	stampCommit  = "0123456789ab"
)

// makeCmd is make with a clean environment: under `make test` the outer
// make's MAKEFLAGS (job server, -n, -s) must not reach the inner one.
func makeCmd(args ...string) *exec.Cmd {
	cmd := exec.Command("make", append([]string{"--no-print-directory"}, args...)...)
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); k != "MAKEFLAGS" && k != "MFLAGS" && k != "MAKELEVEL" {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	return cmd
}

// TestDist runs `make dist` for this machine's platform (CI: linux/amd64;
// make cross builds the others), unpacks the archive, checks what it holds
// and runs its binary's -version, and verifies SHA256SUMS.
func TestDist(t *testing.T) {
	platform := runtime.GOOS + "/" + runtime.GOARCH
	dir := filepath.Join(t.TempDir(), "dist")
	cmd := makeCmd("dist", "DIST="+dir, "DIST_PLATFORMS="+platform, "VERSION="+stampVersion, "COMMIT="+stampCommit)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make dist: %v\n%s", err, out)
	}
	name := "premier-" + stampVersion + "-" + runtime.GOOS + "-" + runtime.GOARCH
	archive := name + ".tar.gz"
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	if want := []string{"SHA256SUMS", archive}; !slices.Equal(got, want) {
		t.Fatalf("dist holds %q, want %q", got, want)
	}

	// SHA256SUMS: sha256sum's format, one line per archive, each right.
	sums, err := os.ReadFile(filepath.Join(dir, "SHA256SUMS"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(sums), "\n"), "\n")
	if len(lines) != 1 {
		t.Fatalf("SHA256SUMS has %d lines, want 1:\n%s", len(lines), sums)
	}
	sum, file, ok := strings.Cut(lines[0], "  ")
	if !ok || file != archive {
		t.Fatalf("SHA256SUMS line %q: want \"<sum>  %s\"", lines[0], archive)
	}
	data, err := os.ReadFile(filepath.Join(dir, archive))
	if err != nil {
		t.Fatal(err)
	}
	if h := sha256.Sum256(data); hex.EncodeToString(h[:]) != sum {
		t.Fatalf("SHA256SUMS says %s, the archive's SHA-256 is %x", sum, h)
	}

	// The archive: one directory named like it, the binary and the files
	// DIST_FILES names, each as in the repository.
	files := unpackTarGz(t, data)
	want := []string{"README.md", "packaging/logrotate/premier", "packaging/systemd/premier.service"}
	if _, err := os.Stat("LICENSE"); err == nil {
		want = append(want, "LICENSE")
	}
	configs, _ := filepath.Glob("configs/*.yaml")
	if len(configs) == 0 {
		t.Fatal("no example config in configs/")
	}
	want = append(want, configs...)
	var names []string
	for n := range files {
		names = append(names, n)
	}
	slices.Sort(names)
	wantNames := append([]string{name + "/premier"}, prefixed(name+"/", want)...)
	slices.Sort(wantNames)
	if !slices.Equal(names, wantNames) {
		t.Fatalf("archive holds\n%q\nwant\n%q", names, wantNames)
	}
	for _, f := range want {
		repo, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(files[name+"/"+f].data, repo) {
			t.Errorf("%s in the archive differs from the repository's", f)
		}
	}
	bin := files[name+"/premier"]
	if bin.mode&0o111 == 0 {
		t.Errorf("the binary's mode is %v, not executable", bin.mode)
	}
	path := filepath.Join(t.TempDir(), "premier")
	if err := os.WriteFile(path, bin.data, 0o755); err != nil {
		t.Fatal(err)
	}
	checkReleaseBinary(t, path)
}

type tarFile struct {
	data []byte
	mode os.FileMode
}

// unpackTarGz reads a .tar.gz into memory: regular files by name (the
// directories are implied). Every name must be relative and clean.
func unpackTarGz(t *testing.T, data []byte) map[string]tarFile {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	files := map[string]tarFile{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		name := strings.TrimSuffix(h.Name, "/")
		if filepath.IsAbs(name) || filepath.Clean(name) != name || strings.HasPrefix(name, "..") {
			t.Fatalf("archive entry %q is not a clean relative name", h.Name)
		}
		if h.Uid != 0 || h.Gid != 0 {
			t.Errorf("archive entry %q owned by %d:%d, want 0:0", h.Name, h.Uid, h.Gid)
		}
		switch h.Typeflag {
		case tar.TypeDir:
		case tar.TypeReg:
			b, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			files[name] = tarFile{data: b, mode: h.FileInfo().Mode()}
		default:
			t.Fatalf("archive entry %q has type %q: only files and directories belong in a release", h.Name, h.Typeflag)
		}
	}
	return files
}

func prefixed(p string, names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = p + n
	}
	return out
}

// checkReleaseBinary checks a release build: -version prints the stamps,
// and the binary is static (no cgo; on Linux no interpreter and no shared
// library), its paths trimmed.
func checkReleaseBinary(t *testing.T, path string) {
	t.Helper()
	out, err := exec.Command(path, "-version").CombinedOutput()
	if err != nil {
		t.Fatalf("%s -version: %v\n%s", path, err, out)
	}
	want := fmt.Sprintf("premier %s\ncommit: %s\ngo: %s %s/%s\n", stampVersion, stampCommit, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	if !strings.HasPrefix(string(out), want) || !regexp.MustCompile(`\nfasthttp: v\d+\.\d+\.\d+\S*\n$`).Match(out) {
		t.Errorf("-version printed\n%s\nwant it to start\n%s\nthen fasthttp: VERSION", out, want)
	}
	bi, err := buildinfo.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	settings := map[string]string{}
	for _, s := range bi.Settings {
		settings[s.Key] = s.Value
	}
	if settings["CGO_ENABLED"] != "0" || settings["-trimpath"] != "true" {
		t.Errorf("build settings CGO_ENABLED=%q -trimpath=%q, want 0 and true", settings["CGO_ENABLED"], settings["-trimpath"])
	}
	if runtime.GOOS == "linux" {
		f, err := elf.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		for _, p := range f.Progs {
			if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
				t.Errorf("the binary has a %v program header: it is not static", p.Type)
			}
		}
		if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
			t.Errorf("the binary needs shared libraries %q", libs)
		}
	}
}

// dockerInstr is one instruction of the Dockerfile.
type dockerInstr struct {
	cmd, args string
}

// readDockerfile reads the Dockerfile into instructions, line continuations
// joined, comments dropped.
func readDockerfile(t *testing.T) []dockerInstr {
	t.Helper()
	b, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	var out []dockerInstr
	var cur strings.Builder
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if cur.Len() == 0 && (line == "" || strings.HasPrefix(line, "#")) {
			continue
		}
		if l, ok := strings.CutSuffix(line, "\\"); ok {
			cur.WriteString(l + " ")
			continue
		}
		cur.WriteString(line)
		cmd, args, _ := strings.Cut(cur.String(), " ")
		out = append(out, dockerInstr{strings.ToUpper(cmd), strings.TrimSpace(args)})
		cur.Reset()
	}
	return out
}

// shellWords splits a command line as a POSIX shell would for the quoting
// the Dockerfile and the Makefile use (single and double quotes, no escapes),
// expanding ${NAME} outside single quotes from vars.
func shellWords(t *testing.T, s string, vars map[string]string) []string {
	t.Helper()
	var words []string
	var w strings.Builder
	inWord := false
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote == 0 && (c == ' ' || c == '\t'):
			if inWord {
				words = append(words, w.String())
				w.Reset()
				inWord = false
			}
		case quote == 0 && (c == '\'' || c == '"'):
			quote, inWord = c, true
		case c == quote:
			quote = 0
		case c == '$' && quote != '\'' && i+1 < len(s) && s[i+1] == '{':
			end := strings.IndexByte(s[i:], '}')
			if end < 0 {
				t.Fatalf("unterminated ${ in %q", s)
			}
			name := s[i+2 : i+end]
			v, ok := vars[name]
			if !ok {
				t.Fatalf("${%s} in %q: no value for it", name, s)
			}
			w.WriteString(v)
			inWord = true
			i += end
		case c == '\\' || c == '$' || c == '`':
			t.Fatalf("%q: the build command should need no escapes or other expansion", s)
		default:
			w.WriteByte(c)
			inWord = true
		}
	}
	if quote != 0 {
		t.Fatalf("unterminated quote in %q", s)
	}
	if inWord {
		words = append(words, w.String())
	}
	return words
}

var pinnedImage = regexp.MustCompile(`^([a-z0-9./-]+):([A-Za-z0-9._-]+)@sha256:[0-9a-f]{64}$`)

// TestDockerfile checks the Dockerfile's promises without a container
// engine: base images pinned by tag and digest, a Go builder of go.mod's
// version, a static distroless (or scratch) final stage run as non-root,
// the health check through premier -healthcheck on the config it runs, a
// .dockerignore that keeps what the build needs; and its build command,
// which must be the Makefile's STATIC_BUILD, is run here and its result
// checked static and stamped.
func TestDockerfile(t *testing.T) {
	instrs := readDockerfile(t)
	gomod, err := os.ReadFile("go.mod")
	if err != nil {
		t.Fatal(err)
	}
	goVersion := regexp.MustCompile(`(?m)^go (\S+)$`).FindStringSubmatch(string(gomod))
	if goVersion == nil {
		t.Fatal("go.mod has no go line")
	}

	var stages [][]dockerInstr
	args := map[string]string{}
	for _, in := range instrs {
		if in.cmd == "FROM" {
			stages = append(stages, nil)
		}
		if len(stages) == 0 {
			t.Fatalf("%s before the first FROM", in.cmd)
		}
		stages[len(stages)-1] = append(stages[len(stages)-1], in)
		if in.cmd == "ARG" {
			k, v, _ := strings.Cut(in.args, "=")
			args[k] = v
		}
	}
	if len(stages) < 2 {
		t.Fatalf("%d stages: want a build stage and a final one", len(stages))
	}
	for i, st := range stages {
		f := strings.Fields(st[0].args)
		f = slices.DeleteFunc(f, func(s string) bool { return strings.HasPrefix(s, "--platform=") })
		m := pinnedImage.FindStringSubmatch(f[0])
		if m == nil || m[2] == "latest" {
			t.Errorf("stage %d: FROM %s is not pinned by version tag and digest", i, f[0])
			continue
		}
		if i == 0 && (m[1] != "golang" || !strings.HasPrefix(m[2], goVersion[1]+"-") && m[2] != goVersion[1]) {
			t.Errorf("the build stage's image %s:%s is not Go %s (go.mod)", m[1], m[2], goVersion[1])
		}
		if i == len(stages)-1 && !(strings.HasPrefix(m[1], "gcr.io/distroless/static") && strings.HasPrefix(m[2], "nonroot")) {
			t.Errorf("the final stage's image %s:%s is not distroless static nonroot", m[1], m[2])
		}
	}

	final := map[string][]string{}
	for _, in := range stages[len(stages)-1] {
		final[in.cmd] = append(final[in.cmd], in.args)
	}
	users := final["USER"]
	if len(users) == 0 {
		t.Error("the final stage sets no USER")
	} else if u, _, _ := strings.Cut(users[len(users)-1], ":"); u == "" || u == "0" || u == "root" {
		t.Errorf("the final stage runs as %q", users[len(users)-1])
	}
	if !slices.ContainsFunc(final["EXPOSE"], func(s string) bool { return slices.Contains(strings.Fields(s), "8000") }) {
		t.Errorf("EXPOSE %q does not include 8000, the default listen", final["EXPOSE"])
	}
	jsonArgs := func(name string) []string {
		t.Helper()
		v := final[name]
		if len(v) != 1 {
			t.Fatalf("the final stage has %d %s, want 1", len(v), name)
		}
		s := v[0]
		if name == "HEALTHCHECK" {
			_, s, _ = strings.Cut(s, "CMD ")
		}
		var out []string
		if err := json.Unmarshal([]byte(s), &out); err != nil {
			t.Fatalf("%s %s: want the exec (JSON) form: %v", name, v[0], err)
		}
		return out
	}
	entry, cmdArgs, health := jsonArgs("ENTRYPOINT"), jsonArgs("CMD"), jsonArgs("HEALTHCHECK")
	if len(entry) != 1 || !slices.Contains(final["COPY"], "--from=build /out/premier "+entry[0]) {
		t.Errorf("ENTRYPOINT %q is not the binary the build stage copied", entry)
	}
	if len(cmdArgs) != 2 || cmdArgs[0] != "-config" {
		t.Fatalf("CMD %q: want [\"-config\", FILE]", cmdArgs)
	}
	if want := []string{entry[0], "-healthcheck", "-config", cmdArgs[1]}; !slices.Equal(health, want) {
		t.Errorf("HEALTHCHECK CMD %q, want %q (the running config's readyz)", health, want)
	}

	// The build command: the Makefile's STATIC_BUILD, word for word once
	// the Dockerfile's GOOS/GOARCH are set aside and -o is left out.
	var build string
	for _, in := range stages[0] {
		if in.cmd == "RUN" && strings.Contains(in.args, "go build") {
			build = in.args
		}
	}
	if build == "" {
		t.Fatal("the build stage runs no go build")
	}
	vars := map[string]string{"VERSION": stampVersion, "COMMIT": stampCommit, "TARGETOS": runtime.GOOS, "TARGETARCH": runtime.GOARCH}
	for _, k := range []string{"VERSION", "COMMIT", "TARGETOS", "TARGETARCH"} {
		if _, ok := args[k]; !ok {
			t.Errorf("the Dockerfile declares no ARG %s", k)
		}
	}
	denv, dargs := splitEnv(shellWords(t, build, vars))
	if denv["GOOS"] != runtime.GOOS || denv["GOARCH"] != runtime.GOARCH {
		t.Fatalf("the build command %q does not set GOOS=${TARGETOS} GOARCH=${TARGETARCH}", build)
	}
	delete(denv, "GOOS")
	delete(denv, "GOARCH")
	out, err := makeCmd("-n", "static", "VERSION="+stampVersion, "COMMIT="+stampCommit, "STATIC_OUT=OUT", "GO=go").CombinedOutput()
	if err != nil {
		t.Fatalf("make -n static: %v\n%s", err, out)
	}
	menv, margs := splitEnv(shellWords(t, strings.TrimSpace(string(out)), nil))
	if fmt.Sprint(denv) != fmt.Sprint(menv) || !slices.Equal(withoutOutput(dargs), withoutOutput(margs)) {
		t.Fatalf("the Dockerfile builds with\n%v %q\nthe Makefile's STATIC_BUILD is\n%v %q", denv, dargs, menv, margs)
	}

	// Run it, as the image's build would (the output path aside).
	bin := filepath.Join(t.TempDir(), "premier")
	i := slices.Index(dargs, "-o")
	if i < 0 || i+1 >= len(dargs) {
		t.Fatalf("the build command %q has no -o", build)
	}
	dargs[i+1] = bin
	cmd := exec.Command(dargs[0], dargs[1:]...)
	cmd.Env = os.Environ()
	for k, v := range denv {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Env = append(cmd.Env, "GOOS="+runtime.GOOS, "GOARCH="+runtime.GOARCH)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", cmd, err, out)
	}
	checkReleaseBinary(t, bin)

	checkDockerignore(t)

	// The HEALTHCHECK's command line is the binary's: against a config
	// whose listener nothing serves it answers 1 (not ready), not 2 (usage).
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	config := writeFile(t, "gateway.yaml", "premier:\n  listen: \""+addr+"\"\n  servers: [\"http://127.0.0.1:1\"]\n  paths:\n    - pattern: \"/*\"\n")
	if out, errOut, code := runCLI(t, slices.Concat(health[1:len(health)-1], []string{config})...); code != 1 {
		t.Errorf("the HEALTHCHECK's command line against a closed listener: exit %d, want 1\n%s%s", code, out, errOut)
	}
}

// splitEnv splits a command's leading NAME=value words from the command.
func splitEnv(words []string) (map[string]string, []string) {
	env := map[string]string{}
	for len(words) > 0 && envWord.MatchString(words[0]) {
		k, v, _ := strings.Cut(words[0], "=")
		env[k] = v
		words = words[1:]
	}
	return env, words
}

var envWord = regexp.MustCompile(`^[A-Z_][A-Z0-9_]*=`)

// withoutOutput is a command without its "-o PATH".
func withoutOutput(words []string) []string {
	var out []string
	for i := 0; i < len(words); i++ {
		if words[i] == "-o" {
			i++
			continue
		}
		out = append(out, words[i])
	}
	return out
}

// checkDockerignore: .git and the build outputs stay out of the context,
// and nothing the binary is built from does.
func checkDockerignore(t *testing.T) {
	t.Helper()
	b, err := os.ReadFile(".dockerignore")
	if err != nil {
		t.Fatal(err)
	}
	var ignored []string
	for _, l := range strings.Split(string(b), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			ignored = append(ignored, strings.TrimSuffix(strings.TrimPrefix(l, "/"), "/"))
		}
	}
	for _, want := range []string{".git", "bin", "dist"} {
		if !slices.Contains(ignored, want) {
			t.Errorf(".dockerignore does not leave out %s", want)
		}
	}
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.Dir}}{{end}}", ".").Output()
	if err != nil {
		t.Fatal(err)
	}
	wd, _ := os.Getwd()
	needed := []string{"go.mod", "go.sum"}
	for _, d := range strings.Fields(string(out)) {
		if rel, err := filepath.Rel(wd, d); err == nil && !strings.HasPrefix(rel, "..") {
			needed = append(needed, filepath.ToSlash(rel))
		}
	}
	for _, n := range needed {
		for _, ig := range ignored {
			if strings.ContainsAny(ig, "*?[") {
				if ok, _ := filepath.Match(ig, n); ok {
					t.Errorf(".dockerignore's %q leaves out %s, which the build needs", ig, n)
				}
				continue
			}
			if n == ig || strings.HasPrefix(n, ig+"/") {
				t.Errorf(".dockerignore's %q leaves out %s, which the build needs", ig, n)
			}
		}
	}
}

// unitFile is a systemd unit: section → key → values (a key may repeat).
type unitFile map[string]map[string][]string

func readUnit(t *testing.T, path string) unitFile {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	u := unitFile{}
	section := ""
	for n, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "" || line[0] == '#' || line[0] == ';':
		case line[0] == '[' && line[len(line)-1] == ']':
			section = line[1 : len(line)-1]
			u[section] = map[string][]string{}
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok || section == "" {
				t.Fatalf("%s:%d: %q is not KEY=VALUE in a section", path, n+1, line)
			}
			u[section][strings.TrimSpace(k)] = append(u[section][strings.TrimSpace(k)], strings.TrimSpace(v))
		}
	}
	return u
}

// one is the key's only value in the section ("" when absent or repeated).
func (u unitFile) one(section, key string) string {
	if v := u[section][key]; len(v) == 1 {
		return v[0]
	}
	return ""
}

// flagValue is the word after flag in a command's words.
func flagValue(words []string, flag string) string {
	if i := slices.Index(words, flag); i >= 0 && i+1 < len(words) {
		return words[i+1]
	}
	return ""
}

// TestSystemdUnit checks packaging/systemd/premier.service and the
// logrotate snippet statically — the sandboxing and the keys the docs
// promise, the paths consistent between the unit, the snippet, the
// Dockerfile and docs/production.md, the command line accepted by the
// binary — and, where systemd-analyze exists, has systemd verify the unit
// (no finding allowed).
func TestSystemdUnit(t *testing.T) {
	const path = "packaging/systemd/premier.service"
	u := readUnit(t, path)
	for _, kv := range [][3]string{
		{"Service", "Type", "notify"},
		{"Service", "NotifyAccess", "all"},
		{"Service", "ExecReload", "/bin/kill -HUP $MAINPID"},
		{"Service", "DynamicUser", "yes"},
		{"Service", "ProtectSystem", "strict"},
		{"Service", "ProtectHome", "yes"},
		{"Service", "PrivateTmp", "yes"},
		{"Service", "NoNewPrivileges", "yes"},
		{"Service", "AmbientCapabilities", "CAP_NET_BIND_SERVICE"},
		{"Service", "CapabilityBoundingSet", "CAP_NET_BIND_SERVICE"},
		{"Service", "StateDirectory", "premier"},
		{"Service", "LogsDirectory", "premier"},
		{"Service", "RuntimeDirectory", "premier"},
		{"Install", "WantedBy", "multi-user.target"},
	} {
		if got := u.one(kv[0], kv[1]); got != kv[2] {
			t.Errorf("[%s] %s=%q, want %q", kv[0], kv[1], got, kv[2])
		}
	}
	var nofile int
	if _, err := fmt.Sscanf(u.one("Service", "LimitNOFILE"), "%d", &nofile); err != nil || nofile < 65536 {
		t.Errorf("LimitNOFILE=%q: want a number of at least 65536 (two descriptors per connection)", u.one("Service", "LimitNOFILE"))
	}

	// The paths: the binary where the Dockerfile puts it, the config in the
	// state directory (the working directory too, for tls.acme's ./acme),
	// the PID file in the runtime directory, the logs where logrotate looks.
	exec0 := shellWords(t, u.one("Service", "ExecStart"), nil)
	state := "/var/lib/" + u.one("Service", "StateDirectory")
	run := "/run/" + u.one("Service", "RuntimeDirectory")
	logs := "/var/log/" + u.one("Service", "LogsDirectory")
	config, pidfile := flagValue(exec0, "-config"), flagValue(exec0, "-pidfile")
	if len(exec0) == 0 || exec0[0] != "/usr/local/bin/premier" {
		t.Errorf("ExecStart runs %q, want /usr/local/bin/premier", exec0)
	}
	if filepath.Dir(config) != state || u.one("Service", "WorkingDirectory") != state {
		t.Errorf("-config %q and WorkingDirectory=%q: want both in the state directory %s", config, u.one("Service", "WorkingDirectory"), state)
	}
	if filepath.Dir(pidfile) != run {
		t.Errorf("-pidfile %q: want it in the runtime directory %s", pidfile, run)
	}
	var entry []string
	for _, in := range readDockerfile(t) {
		if in.cmd == "ENTRYPOINT" {
			_ = json.Unmarshal([]byte(in.args), &entry)
		}
	}
	if !slices.Equal(entry, exec0[:1]) {
		t.Errorf("the Dockerfile's ENTRYPOINT %q is not the unit's binary %q", entry, exec0[:1])
	}

	rot, err := os.ReadFile("packaging/logrotate/premier")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(rot), "\n"+logs+"/") {
		t.Errorf("the logrotate snippet does not rotate the files in %s", logs)
	}
	if !strings.Contains(string(rot), `kill -USR1 "$(cat `+pidfile+`)"`) {
		t.Errorf("the logrotate snippet's postrotate does not send USR1 to the PID in %s", pidfile)
	}

	// The command line is the binary's: with -check (and an existing
	// config in place of the state directory's) it validates and exits 0.
	args := slices.Clone(exec0[1:])
	args[slices.Index(args, "-config")+1] = "configs/demo.yaml"
	if out, errOut, code := runCLI(t, append(args, "-check")...); code != 0 {
		t.Errorf("the unit's command line with -check: exit %d\n%s%s", code, out, errOut)
	}

	// docs/production.md names the same paths and commands.
	doc, err := os.ReadFile("docs/production.md")
	if err != nil {
		t.Fatal(err)
	}
	var dockerConfig string
	for _, in := range readDockerfile(t) {
		if in.cmd == "CMD" {
			var c []string
			_ = json.Unmarshal([]byte(in.args), &c)
			dockerConfig = flagValue(c, "-config")
		}
	}
	for _, s := range []string{path, "packaging/logrotate/premier", config, pidfile, logs + "/", dockerConfig,
		"systemctl reload premier", "systemctl kill --kill-whom=main --signal=USR2 premier", "LimitNOFILE"} {
		if !strings.Contains(string(doc), s) {
			t.Errorf("docs/production.md does not mention %q", s)
		}
	}

	// systemd's own check, on a copy whose ExecStart is the binary built
	// for the tests (verify refuses a command that does not exist).
	if sa, err := exec.LookPath("systemd-analyze"); err == nil {
		dir := t.TempDir()
		text, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		copyPath := filepath.Join(dir, "premier.service")
		text = bytes.ReplaceAll(text, []byte("ExecStart=/usr/local/bin/premier "), []byte("ExecStart="+binary+" "))
		if err := os.WriteFile(copyPath, text, 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(sa, "verify", copyPath).CombinedOutput()
		if err != nil || len(bytes.TrimSpace(out)) > 0 {
			t.Errorf("systemd-analyze verify: %v\n%s", err, out)
		}
	}
}
