package checklist_test

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
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

func read(t *testing.T, rel string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot(t), filepath.FromSlash(rel)))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// goSources calls fn for every non-test Go file of the main module, with
// its path relative to the repository root.
func goSources(t *testing.T, fn func(rel, path string)) {
	t.Helper()
	root := repoRoot(t)
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			switch {
			case rel == "tools", strings.HasPrefix(d.Name(), "."), d.Name() == "node_modules", d.Name() == "testdata":
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(rel, ".go") && !strings.HasSuffix(rel, "_test.go") {
			fn(rel, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// The server never starts a process (I7): only dev/pgcluster, which
// runs initdb and pg_ctl for the test harness and for `make run`'s private
// development database, may import os/exec, and the taskbridge binary
// (what the image ships) does not link it in.
func TestNoProcessExecutionOutsideTheTestHarness(t *testing.T) {
	forbidden := map[string]bool{"os/exec": true, "plugin": true}
	files := 0
	goSources(t, func(rel, path string) {
		files++
		if strings.HasPrefix(rel, "dev/pgcluster/") {
			return
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatalf("%s: %v", rel, err)
		}
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if forbidden[p] {
				t.Errorf("%s imports %s: the server must not execute programs (I7)", rel, p)
			}
		}
	})
	if files < 20 {
		t.Fatalf("only %d Go files found: the walk is broken", files)
	}
	deps := goListDeps(t, "./cmd/taskbridge")
	for _, p := range deps {
		if strings.HasSuffix(p, "/dev/pgcluster") || strings.HasSuffix(p, "/dev/testdb") || strings.HasSuffix(p, "/dev/devrun") {
			t.Errorf("cmd/taskbridge links in %s, which runs programs: only dev/run may", p)
		}
	}
	if !slices.ContainsFunc(deps, func(p string) bool { return strings.HasSuffix(p, "/internal/cli") }) {
		t.Fatalf("go list -deps ./cmd/taskbridge did not list internal/cli: %v", deps)
	}
}

// Every gosec exclusion names its rule and says why (O1).
func TestEveryScannerExclusionHasAReason(t *testing.T) {
	nosec := regexp.MustCompile(`#nosec\b(.*)`)
	justified := regexp.MustCompile(`^ G\d{3}(,G\d{3})* -- \S.{8,}`)
	goSources(t, func(rel, path string) {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(b), "\n") {
			if m := nosec.FindStringSubmatch(line); m != nil && !justified.MatchString(m[1]) {
				t.Errorf("%s:%d: write `#nosec Gxxx -- reason`, got %q", rel, i+1, strings.TrimSpace(line))
			}
		}
	})
}

func TestScannersArePinnedAndRunByLint(t *testing.T) {
	tools := read(t, "tools/go.mod")
	for _, pin := range []string{
		"github.com/zricethezav/gitleaks/v8 v8.30.1",
		"github.com/securego/gosec/v2 v2.22.4",
		"honnef.co/go/tools v0.8.2",
	} {
		if !strings.Contains(tools, pin) {
			t.Errorf("tools/go.mod does not pin %s", pin)
		}
	}
	for _, tool := range []string{"github.com/zricethezav/gitleaks/v8", "github.com/securego/gosec/v2/cmd/gosec", "honnef.co/go/tools/cmd/staticcheck"} {
		if !regexp.MustCompile(`(?m)^\s*(tool\s+)?` + regexp.QuoteMeta(tool) + `\s*$`).MatchString(tools) {
			t.Errorf("tools/go.mod has no tool directive for %s", tool)
		}
	}
	mk := read(t, "Makefile")
	lint := regexp.MustCompile(`(?ms)^lint:.*?\n\n`).FindString(mk)
	if !strings.Contains(lint, "gosec") || !strings.Contains(lint, "secrets") {
		t.Errorf("make lint does not run gosec and the secret scan:\n%s", lint)
	}
	if !regexp.MustCompile(`(?m)^\tgo tool -modfile=tools/go.mod gitleaks git |^\t\$\(GO\) tool -modfile=tools/go.mod gitleaks git `).MatchString(mk) {
		t.Error("the secrets target does not scan the git history with gitleaks")
	}
	if !regexp.MustCompile(`(?m)^TEST_STAGES := lint `).MatchString(mk) || !regexp.MustCompile(`(?m)^test:.*\n(\t.*\n)*\tfor stage in \$\(TEST_STAGES\)`).MatchString(mk) {
		t.Error("make test (what CI runs) no longer includes lint")
	}
}

// The secret scan allowlists test fixtures only, never production code.
func TestGitleaksAllowsOnlyTestFixtures(t *testing.T) {
	cfg := read(t, ".gitleaks.toml")
	if !strings.Contains(cfg, "useDefault = true") {
		t.Error(".gitleaks.toml does not extend the default rules")
	}
	paths := regexp.MustCompile(`'''([^']+)'''`).FindAllStringSubmatch(cfg, -1)
	if len(paths) == 0 {
		t.Fatal("no allowlisted paths parsed")
	}
	for _, p := range paths {
		if !strings.Contains(p[1], `_test\.go`) && !strings.Contains(p[1], "testdata/") {
			t.Errorf("allowlisted path %q is not a test fixture", p[1])
		}
	}
	for _, bad := range []string{"regexes", "stopwords", "commits"} {
		if regexp.MustCompile(`(?m)^\s*` + bad + `\s*=`).MatchString(cfg) {
			t.Errorf(".gitleaks.toml allowlists by %s: allow by fixture path only", bad)
		}
	}
}
