package packaging_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// repoRoot is the directory holding go.mod, found by walking up from the
// test's working directory (the package directory).
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatalf("working directory: %v", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test directory")
		}
		dir = parent
	}
}

func readRepoFile(t *testing.T, rel string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot(t), filepath.FromSlash(rel)))
	if err != nil {
		t.Fatalf("read %s: %v", rel, err)
	}
	return string(b)
}

// instruction is one Dockerfile instruction with its continuation lines joined.
type instruction struct {
	keyword string // upper case: FROM, RUN, COPY, ...
	args    string
	line    int
}

// stage is the instructions from one FROM to the next.
type stage struct {
	image string // what FROM names
	name  string // the AS name, if any
	body  []instruction
}

// parseDockerfile splits a Dockerfile into stages. It follows the parts of
// the format this repository uses: '#' comment lines (also inside a
// continued instruction, where the builder drops them too), backslash line
// continuations and FROM image [AS name].
func parseDockerfile(t *testing.T, text string) []stage {
	t.Helper()
	var (
		stages  []stage
		pending strings.Builder
		start   int
	)
	flush := func() {
		s := strings.TrimSpace(pending.String())
		pending.Reset()
		if s == "" {
			return
		}
		keyword, args, _ := strings.Cut(s, " ")
		in := instruction{keyword: strings.ToUpper(keyword), args: strings.TrimSpace(args), line: start}
		if in.keyword == "FROM" {
			fields := strings.Fields(in.args)
			var st stage
			for _, f := range fields {
				if !strings.HasPrefix(f, "--") { // skip --platform=...
					st.image = f
					break
				}
			}
			if n := len(fields); n >= 3 && strings.EqualFold(fields[n-2], "AS") {
				st.name = fields[n-1]
			}
			stages = append(stages, st)
			return
		}
		if len(stages) == 0 {
			t.Fatalf("line %d: %s before the first FROM", in.line, in.keyword)
		}
		stages[len(stages)-1].body = append(stages[len(stages)-1].body, in)
	}
	for i, raw := range strings.Split(text, "\n") {
		line := strings.TrimSpace(raw)
		if strings.HasPrefix(line, "#") {
			continue
		}
		if pending.Len() == 0 {
			if line == "" {
				continue
			}
			start = i + 1
		}
		if cont, ok := strings.CutSuffix(line, `\`); ok {
			pending.WriteString(cont + " ")
			continue
		}
		pending.WriteString(line)
		flush()
	}
	flush()
	if len(stages) == 0 {
		t.Fatal("Dockerfile has no FROM")
	}
	return stages
}

func loadDockerfile(t *testing.T) []stage {
	t.Helper()
	return parseDockerfile(t, readRepoFile(t, "Dockerfile"))
}

// execForm decodes an instruction written as a JSON array, the form that
// needs no shell; ok is false for the shell form.
func execForm(args string) ([]string, bool) {
	var argv []string
	if err := json.Unmarshal([]byte(args), &argv); err != nil || len(argv) == 0 {
		return nil, false
	}
	return argv, true
}

func TestDockerfileFinalStageIsScratch(t *testing.T) {
	stages := loadDockerfile(t)
	final := stages[len(stages)-1]
	if final.image != "scratch" {
		t.Fatalf("final stage is FROM %s, want scratch (no shell, no package manager)", final.image)
	}
	if len(stages) < 2 {
		t.Fatal("want a multi-stage build: a build stage and the scratch runtime stage")
	}
}

func TestDockerfileFinalStageNeedsNoShell(t *testing.T) {
	stages := loadDockerfile(t)
	final := stages[len(stages)-1]
	var entrypoint []string
	var cmd []string
	for _, in := range final.body {
		switch in.keyword {
		case "RUN", "SHELL", "ONBUILD":
			t.Errorf("line %d: %s in the scratch stage needs a shell it does not have", in.line, in.keyword)
		case "ENTRYPOINT", "CMD":
			argv, ok := execForm(in.args)
			if !ok {
				t.Errorf("line %d: %s %s is shell form; use a JSON array", in.line, in.keyword, in.args)
			}
			if in.keyword == "ENTRYPOINT" {
				entrypoint = argv
			} else {
				cmd = argv
			}
		}
	}
	if len(entrypoint) != 1 || entrypoint[0] != "/taskbridge" {
		t.Errorf("ENTRYPOINT = %q, want [\"/taskbridge\"]", entrypoint)
	}
	if len(cmd) != 1 || cmd[0] != "serve" {
		t.Errorf("CMD = %q, want [\"serve\"]", cmd)
	}
}

func TestDockerfileHealthcheckRunsTheBinary(t *testing.T) {
	stages := loadDockerfile(t)
	final := stages[len(stages)-1]
	var found bool
	for _, in := range final.body {
		if in.keyword != "HEALTHCHECK" {
			continue
		}
		found = true
		_, test, ok := strings.Cut(in.args, "CMD ")
		if !ok {
			t.Fatalf("line %d: HEALTHCHECK %s has no CMD", in.line, in.args)
		}
		argv, ok := execForm(strings.TrimSpace(test))
		if !ok {
			t.Fatalf("line %d: HEALTHCHECK CMD must be exec form; scratch has no shell", in.line)
		}
		if want := []string{"/taskbridge", "healthcheck"}; strings.Join(argv, " ") != strings.Join(want, " ") {
			t.Errorf("HEALTHCHECK CMD = %q, want %q", argv, want)
		}
	}
	if !found {
		t.Fatal("final stage has no HEALTHCHECK")
	}
}

func TestDockerfileRunsAsNonRoot(t *testing.T) {
	stages := loadDockerfile(t)
	final := stages[len(stages)-1]
	user := ""
	copiesPasswd := false
	for _, in := range final.body {
		switch in.keyword {
		case "USER":
			user = in.args // the last USER is the one that runs
		case "COPY":
			if f := strings.Fields(in.args); len(f) > 0 && f[len(f)-1] == "/etc/passwd" {
				copiesPasswd = true
			}
		}
	}
	if user == "" {
		t.Fatal("final stage has no USER: the container would run as root")
	}
	name, group, _ := strings.Cut(user, ":")
	for _, id := range []string{name, group} {
		if id == "root" || id == "0" {
			t.Errorf("USER %s is root", user)
		}
	}
	uid, err := strconv.Atoi(name)
	if err != nil || uid <= 0 {
		t.Errorf("USER %s: want a numeric, non-zero uid (a name cannot be checked against the image)", user)
	}
	if !copiesPasswd {
		t.Error("final stage copies no /etc/passwd: the uid has no account entry")
	}
	if uid > 0 {
		if !strings.Contains(readRepoFile(t, "Dockerfile"), ":x:"+name+":") {
			t.Errorf("no passwd line for uid %s is written in the build stage", name)
		}
	}
}

func TestDockerfileCopiesCACertificates(t *testing.T) {
	stages := loadDockerfile(t)
	final := stages[len(stages)-1]
	const bundle = "/etc/ssl/certs/ca-certificates.crt"
	for _, in := range final.body {
		if in.keyword != "COPY" || !strings.Contains(in.args, "--from=") {
			continue
		}
		f := strings.Fields(in.args)
		if len(f) >= 3 && f[len(f)-2] == bundle && f[len(f)-1] == bundle {
			return
		}
	}
	t.Fatalf("final stage does not COPY --from=<build> %s %s: outbound TLS would fail", bundle, bundle)
}

// TestDockerfileBuildImageMatchesGoMod keeps the builder on go.mod's Go
// release: an older image cannot build the module (GOTOOLCHAIN=local forbids
// downloading a newer one), a newer one builds with a release nobody tested.
func TestDockerfileBuildImageMatchesGoMod(t *testing.T) {
	stages := loadDockerfile(t)
	build := stages[0]
	repo, tag, ok := strings.Cut(build.image, ":")
	if !ok || (repo != "golang" && repo != "docker.io/library/golang") {
		t.Fatalf("build stage is FROM %s, want the official golang image with an explicit tag", build.image)
	}
	m := regexp.MustCompile(`^(\d+)\.(\d+)(?:\.(\d+))?-(bookworm|trixie)$`).FindStringSubmatch(tag)
	if m == nil {
		t.Fatalf("golang tag %q: want <go version>-<Debian release>, e.g. 1.26.8-bookworm", tag)
	}
	imageMajor, imageMinor, imagePatch := m[1], m[2], m[3]

	gm := regexp.MustCompile(`(?m)^go (\d+)\.(\d+)(?:\.(\d+))?\s*$`).FindStringSubmatch(readRepoFile(t, "go.mod"))
	if gm == nil {
		t.Fatal("go.mod has no go line")
	}
	if imageMajor != gm[1] || imageMinor != gm[2] {
		t.Errorf("build image Go %s.%s, go.mod says go %s.%s: keep them on the same release", imageMajor, imageMinor, gm[1], gm[2])
	}
	if imagePatch != "" && gm[3] != "" {
		ip, _ := strconv.Atoi(imagePatch)
		mp, _ := strconv.Atoi(gm[3])
		if ip < mp {
			t.Errorf("build image Go patch %d is older than go.mod's %d", ip, mp)
		}
	}

	var local bool
	for _, in := range build.body {
		if in.keyword == "ENV" && regexp.MustCompile(`\bGOTOOLCHAIN=local\b`).MatchString(in.args) {
			local = true
		}
	}
	if !local {
		t.Error("build stage does not set GOTOOLCHAIN=local: go could download a toolchain during the build")
	}
}

func TestDockerfileBuildsStaticBinary(t *testing.T) {
	stages := loadDockerfile(t)
	var build *instruction
	for _, st := range stages[:len(stages)-1] {
		for i, in := range st.body {
			if in.keyword == "RUN" && strings.Contains(in.args, "go build") {
				build = &st.body[i]
			}
		}
	}
	if build == nil {
		t.Fatal("no RUN go build in any build stage")
	}
	for _, want := range []string{"CGO_ENABLED=0", "-trimpath", "./cmd/taskbridge"} {
		if !strings.Contains(build.args, want) {
			t.Errorf("line %d: go build lacks %s", build.line, want)
		}
	}
}

func TestDockerfileFetchesNothingAtRunTime(t *testing.T) {
	download := regexp.MustCompile(`(?i)\b(curl|wget)\b`)
	remote := regexp.MustCompile(`(?i)(https?|ftp|git)://|git@`)
	for _, st := range loadDockerfile(t) {
		for _, in := range st.body {
			if download.MatchString(in.args) {
				t.Errorf("line %d: %s uses curl/wget; nothing may be downloaded outside the module proxy", in.line, in.keyword)
			}
			if in.keyword == "ADD" && remote.MatchString(in.args) {
				t.Errorf("line %d: ADD of a remote source; COPY local files instead", in.line)
			}
		}
	}
}

func TestDockerignoreKeepsSecretsOutOfTheBuildContext(t *testing.T) {
	patterns := map[string]bool{}
	for _, line := range strings.Split(readRepoFile(t, ".dockerignore"), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasPrefix(line, "!") && strings.Contains(line, ".env") {
			t.Errorf(".dockerignore re-includes %s", line)
		}
		patterns[line] = true
	}
	for _, want := range []string{".env", ".env.*", "**/.env", "**/.env.*", ".git", ".taskbridge-dev"} {
		if !patterns[want] {
			t.Errorf(".dockerignore lacks %q", want)
		}
	}
}
