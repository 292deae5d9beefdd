package forkdrill_test

import (
	"bytes"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// variant leaves one safeguard out of the README's steps: change rewrites
// the one block whose file matches file (a path.Match pattern) and whose
// body contains match ("" drops the block). The test named must then fail
// in the copy.
type variant struct {
	name         string
	file, match  string
	change       func(body string) string
	pkg, failing string
}

func dropLine(containing string) func(string) string {
	return func(body string) string {
		var out []string
		for _, l := range strings.SplitAfter(body, "\n") {
			if !strings.Contains(l, containing) {
				out = append(out, l)
			}
		}
		return strings.Join(out, "")
	}
}

func replaceRegexp(re, with string) func(string) string {
	return func(body string) string { return regexp.MustCompile(re).ReplaceAllString(body, with) }
}

var variants = []variant{
	{name: "the privacy policy without the scope's row", file: "PRIVACY.md",
		pkg: "./internal/identity", failing: "TestPrivacyPolicyQuotesTheConsentWording"},
	{name: "the migration without FORCE ROW LEVEL SECURITY", file: "migrations/*.up.sql", match: "FORCE ROW LEVEL SECURITY",
		change: dropLine("FORCE ROW LEVEL SECURITY"), pkg: "./internal/postgres", failing: "TestEveryUserTableForcesRowLevelSecurity"},
	{name: "the table without its policy", file: "migrations/*.up.sql", match: "CREATE POLICY",
		change: replaceRegexp(`(?s)CREATE POLICY.*?;\n`, ""), pkg: "./internal/postgres", failing: "TestEveryUserTableForcesRowLevelSecurity"},
	{name: "the table granted to PUBLIC", file: "migrations/*.up.sql", match: "TO taskbridge_runtime",
		change: replaceRegexp(`TO taskbridge_runtime`, "TO PUBLIC"), pkg: "./internal/postgres", failing: "TestEveryUserTableForcesRowLevelSecurity"},
	{name: "the foreign key to users without ON DELETE CASCADE", file: "migrations/*.up.sql", match: "ON DELETE CASCADE",
		change: replaceRegexp(` ON DELETE CASCADE`, ""), pkg: "./internal/privacy", failing: "TestEraseRemovesEveryTraceOfTheUser"},
	{name: "no export section", file: "internal/postgres/privacy_export.go",
		pkg: "./internal/privacy", failing: "TestExportCoversEveryUserTable"},
	{name: "the tool requiring an older scope instead of the new one", file: "internal/mcpapi/*.go", match: "addTool(",
		change: replaceRegexp(`scope:(\s*)identity\.\w+`, "scope:${1}identity.ScopeTasksWrite"),
		pkg:    "./internal/mcpapi", failing: "TestEveryToolIsScopedAuditedAndListedOnlyWithItsScope"},
	{name: "the tool's refusal not audited", file: "internal/mcpapi/*.go", match: "addTool(",
		change: replaceRegexp(`s\.failed\(ctx, c, (refuse\(.*\)), map\[string\]any\{[^}]*\}\)`, "$1"),
		pkg:    "./internal/mcpapi", failing: "TestEveryToolIsScopedAuditedAndListedOnlyWithItsScope"},
}

// TestForkDrill (issue 17, "the Fork it steps proven"): README's Fork it
// steps, applied to a clean copy of the repository, build, and the
// security tests that enumerate every user table and every tool pass on
// the copy, so they cover what a fork adds; and with each safeguard of
// the steps left out in turn, the test guarding it fails.
func TestForkDrill(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and tests a copy of the repository (minutes); runs in the test-go stage")
	}
	start := time.Now()
	root := repoRoot(t)
	steps := forkSteps(t, root)
	if len(steps) < 5 || !steps[len(steps)-1].run {
		t.Fatalf("README.md's Fork it section has %d steps, the last of them not a run block: its format changed", len(steps))
	}
	copyDir := filepath.Join(t.TempDir(), "fork")
	copyRepository(t, root, copyDir)
	pristine := map[string]*string{}
	for _, s := range steps {
		if s.file == "" {
			continue
		}
		if raw, err := os.ReadFile(filepath.Join(copyDir, filepath.FromSlash(s.file))); err == nil {
			c := string(raw)
			pristine[s.file] = &c
		} else {
			pristine[s.file] = nil
		}
	}
	write(t, copyDir, pristine, steps, nil)
	for _, s := range steps {
		if s.run {
			if out, err := goCommand(copyDir, "sh", "-e", "-c", s.body); err != nil {
				t.Fatalf("%s failed in the copy (%v):\n%s", s, err, out)
			}
		}
	}
	t.Logf("the steps applied and passed in %s", time.Since(start).Round(time.Second))

	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			write(t, copyDir, pristine, steps, &v)
			out, err := goCommand(copyDir, "go", "test", "-count=1", "-run", "^"+v.failing+"$", v.pkg)
			if err == nil || !bytes.Contains(out, []byte("--- FAIL: "+v.failing)) {
				t.Errorf("with %s, %s %s did not fail (%v):\n%s", v.name, v.pkg, v.failing, err, out)
			}
			t.Logf("%s fails as it must:\n%s", v.failing, testErrors(out))
		})
	}
	write(t, copyDir, pristine, steps, nil)
	t.Logf("the drill took %s", time.Since(start).Round(time.Second))
}

// testErrors is what go test printed at the failing tests' lines: the
// reasons, for the log.
func testErrors(out []byte) string {
	var b strings.Builder
	for _, l := range strings.Split(string(out), "\n") {
		if regexp.MustCompile(`^\s+\w+_test\.go:\d+: `).MatchString(l) && b.Len() < 2000 {
			b.WriteString(l + "\n")
		}
	}
	return b.String()
}

// write sets every file the steps touch to its pristine content with the
// steps applied, v's change included when v is not nil.
func write(t *testing.T, dir string, pristine map[string]*string, steps []step, v *variant) {
	t.Helper()
	files := map[string]*string{}
	for f, c := range pristine {
		files[f] = c
	}
	changed := 0
	for _, s := range steps {
		if s.file == "" {
			continue
		}
		if v != nil {
			if ok, _ := path.Match(v.file, s.file); ok && strings.Contains(s.body, v.match) {
				changed++
				if v.change == nil {
					continue // the block left out
				}
				body := v.change(s.body)
				if body == s.body {
					t.Fatalf("%s: leaving out %s changes nothing in the block: update the drill's variants to README", s, v.name)
				}
				s.body = body
			}
		}
		c, err := s.apply(files[s.file])
		if err != nil {
			t.Fatal(err)
		}
		files[s.file] = &c
	}
	if v != nil && changed != 1 {
		t.Fatalf("%d blocks of README's Fork it match %s containing %q, want exactly one: update the drill's variants", changed, v.file, v.match)
	}
	for f, c := range files {
		p := filepath.Join(dir, filepath.FromSlash(f))
		if c == nil {
			_ = os.Remove(p)
			continue
		}
		if err := os.WriteFile(p, []byte(*c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// copyRepository copies the files git knows (tracked, or new and not
// ignored) of root to dir: a clean checkout, without build output.
func copyRepository(t *testing.T, root, dir string) {
	t.Helper()
	cmd := exec.Command("git", "ls-files", "-z", "--cached", "--others", "--exclude-standard")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("git ls-files: %v", err)
	}
	for _, f := range strings.Split(strings.TrimRight(string(out), "\x00"), "\x00") {
		src := filepath.Join(root, filepath.FromSlash(f))
		info, err := os.Lstat(src)
		if err != nil || !info.Mode().IsRegular() {
			continue // deleted in the work tree, or a symlink or submodule
		}
		raw, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		dst := filepath.Join(dir, filepath.FromSlash(f))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, raw, info.Mode().Perm()); err != nil {
			t.Fatal(err)
		}
	}
}

// goCommand runs name in dir with -trimpath added to GOFLAGS: the copy's
// directory then takes no part in the build cache's keys, so the packages
// the steps leave alone come from the shared GOCACHE on every run.
func goCommand(dir, name string, args ...string) ([]byte, error) {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS="+strings.TrimSpace(os.Getenv("GOFLAGS")+" -trimpath"), "GOWORK=off")
	return cmd.CombinedOutput()
}

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
