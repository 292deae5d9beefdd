package checklist_test

import (
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"os/exec"
	"path"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// The architecture rules README.md's Architecture section states: the
// domain depends on nothing, the adapters depend on the domain, the wiring
// (internal/cli, internal/server) is imported only from above, and no
// package does work at import time.

// domainPackages are the domain: what a task is and who is asking. They may
// import each other (neither does today) and nothing else of this module.
var domainPackages = []string{"internal/task", "internal/identity"}

// domainForbidden are import path prefixes the domain must not reach,
// directly or through a dependency: HTTP, MCP, SQL drivers and the
// infrastructure libraries the adapters use.
var domainForbidden = []string{
	"net/http",
	"github.com/modelcontextprotocol/",
	"github.com/jackc/",
	"github.com/go-chi/",
	"github.com/golang-migrate/",
	"github.com/prometheus/",
}

// domainForbiddenDirect are also refused as direct imports. github.com/google/uuid
// brings database/sql/driver (its UUID implements driver.Valuer), so only a
// direct database/sql import is refused.
var domainForbiddenDirect = []string{"database/sql"}

// wiringImporters is who may import the wiring packages: cmd/, the
// tooling in dev/, and internal/cli for the server it wires. Test files are not counted: external test
// packages (account_test, e2e, faults, ...) drive the real router or the
// real command, which is the point of them.
var wiringImporters = map[string][]string{
	"internal/cli":    {"cmd/", "dev/"},
	"internal/server": {"cmd/", "internal/cli"},
}

// modulePath is the module line of go.mod (after a fork, the new path).
func modulePath(t *testing.T) string {
	t.Helper()
	m := regexp.MustCompile(`(?m)^module (\S+)$`).FindStringSubmatch(read(t, "go.mod"))
	if m == nil {
		t.Fatal("go.mod has no module line")
	}
	return m[1]
}

// sourceFile is one parsed non-test Go file of the module.
type sourceFile struct {
	rel, dir string // relative to the repository root, slash-separated
	file     *ast.File
}

func parseSources(t *testing.T) []sourceFile {
	t.Helper()
	var files []sourceFile
	goSources(t, func(rel, p string) {
		f, err := parser.ParseFile(token.NewFileSet(), p, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatalf("%s: %v", rel, err)
		}
		files = append(files, sourceFile{rel: rel, dir: path.Dir(rel), file: f})
	})
	if len(files) < 20 {
		t.Fatalf("only %d Go files found: the walk is broken", len(files))
	}
	return files
}

func imports(t *testing.T, f *ast.File) []string {
	t.Helper()
	var paths []string
	for _, imp := range f.Imports {
		p, err := strconv.Unquote(imp.Path.Value)
		if err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	return paths
}

func hasPathPrefix(p, prefix string) bool {
	if strings.HasSuffix(prefix, "/") {
		return strings.HasPrefix(p, prefix)
	}
	return p == prefix || strings.HasPrefix(p, prefix+"/")
}

// TestDomainImportsNoAdapter: internal/task and internal/identity import
// nothing of HTTP, MCP or SQL and no other package of this module, so the
// adapters depend on the domain and never the reverse.
func TestDomainImportsNoAdapter(t *testing.T) {
	mod := modulePath(t)
	allowedInModule := map[string]bool{}
	for _, d := range domainPackages {
		allowedInModule[mod+"/"+d] = true
	}
	seen := map[string]bool{}
	for _, sf := range parseSources(t) {
		if !slices.Contains(domainPackages, sf.dir) {
			continue
		}
		seen[sf.dir] = true
		for _, p := range imports(t, sf.file) {
			if (p == mod || strings.HasPrefix(p, mod+"/")) && !allowedInModule[p] {
				t.Errorf("%s imports %s: the domain imports no other package of this module (only %v)", sf.rel, p, domainPackages)
			}
			for _, bad := range append(slices.Clone(domainForbidden), domainForbiddenDirect...) {
				if hasPathPrefix(p, bad) {
					t.Errorf("%s imports %s: the domain imports nothing of HTTP, MCP or SQL", sf.rel, p)
				}
			}
		}
	}
	for _, d := range domainPackages {
		if !seen[d] {
			t.Errorf("no source file found in %s: the domain moved; update domainPackages and README.md", d)
		}
	}

	// The same through dependencies: what the build really links in.
	var pkgs []string
	for _, d := range domainPackages {
		pkgs = append(pkgs, "./"+d)
	}
	deps := goListDeps(t, pkgs...)
	if !slices.Contains(deps, mod+"/internal/task") {
		t.Fatalf("go list -deps did not list internal/task: %v", deps)
	}
	for _, p := range deps {
		if (p == mod || strings.HasPrefix(p, mod+"/")) && !allowedInModule[p] {
			t.Errorf("the domain depends on %s (directly or through an import): it must reach no other package of this module", p)
		}
		for _, bad := range domainForbidden {
			if hasPathPrefix(p, bad) {
				t.Errorf("the domain depends on %s (directly or through an import): it must reach nothing of HTTP, MCP or SQL", p)
			}
		}
	}
}

// TestNoInitFunctions: no non-test Go file of the module declares func
// init. Everything a component needs is built in cli's wiring, explicitly
// and in order, so importing a package never registers, reads or starts
// anything.
func TestNoInitFunctions(t *testing.T) {
	for _, sf := range parseSources(t) {
		for _, decl := range sf.file.Decls {
			if fn, ok := decl.(*ast.FuncDecl); ok && fn.Recv == nil && fn.Name.Name == "init" {
				t.Errorf("%s declares func init: build it explicitly where the components are wired (internal/cli) instead", sf.rel)
			}
		}
	}
}

// TestWiringImportedOnlyFromAbove: internal/cli is imported only by cmd/,
// internal/server only by cmd/ and internal/cli (non-test files). A
// component that imported them would depend on everything they wire.
func TestWiringImportedOnlyFromAbove(t *testing.T) {
	mod := modulePath(t)
	importers := map[string][]string{}
	for _, sf := range parseSources(t) {
		for _, p := range imports(t, sf.file) {
			target, ok := strings.CutPrefix(p, mod+"/")
			if !ok {
				continue
			}
			allowed, wiring := wiringImporters[target]
			if !wiring {
				continue
			}
			if !slices.Contains(importers[target], sf.dir) {
				importers[target] = append(importers[target], sf.dir)
			}
			if !slices.ContainsFunc(allowed, func(a string) bool { return hasPathPrefix(sf.dir, a) }) {
				t.Errorf("%s imports %s, which only %v may import: depend on the components it wires, not on the wiring", sf.rel, target, allowed)
			}
		}
	}
	for target, dirs := range importers {
		sort.Strings(dirs)
		t.Logf("%s is imported by %v", target, dirs)
	}
	if !slices.Contains(importers["internal/cli"], "cmd/taskbridge") {
		t.Errorf("cmd/taskbridge does not import internal/cli (importers found: %v): the walk is broken", importers["internal/cli"])
	}
}

// TestProductDoesNotImportTooling: nothing under internal/ imports dev/
// (non-test files), except internal/cli for the two subcommands the binary
// ships from it, doctor and bench. The request path never links tooling.
func TestProductDoesNotImportTooling(t *testing.T) {
	mod := modulePath(t)
	allowed := map[string][]string{"internal/cli": {"dev/doctor", "dev/loadgen"}}
	seen := 0
	for _, sf := range parseSources(t) {
		if !hasPathPrefix(sf.dir, "internal/") {
			continue
		}
		seen++
		for _, p := range imports(t, sf.file) {
			target, ok := strings.CutPrefix(p, mod+"/")
			if !ok || !hasPathPrefix(target, "dev/") {
				continue
			}
			if !slices.Contains(allowed[sf.dir], target) {
				t.Errorf("%s imports %s: product code under internal/ must not depend on the tooling in dev/", sf.rel, target)
			}
		}
	}
	if seen == 0 {
		t.Fatal("no source under internal/ was parsed: the walk is broken")
	}
}

// goListDeps is every package the given ones depend on, themselves
// included: what the build really links in.
func goListDeps(t *testing.T, pkgs ...string) []string {
	t.Helper()
	args := append([]string{"list", "-deps", "-f", "{{.ImportPath}}"}, pkgs...)
	cmd := exec.CommandContext(t.Context(), "go", args...)
	cmd.Dir = repoRoot(t)
	out, err := cmd.Output()
	if err != nil {
		var msg string
		if ee := (*exec.ExitError)(nil); errors.As(err, &ee) {
			msg = string(ee.Stderr)
		}
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, msg)
	}
	return strings.Fields(string(out))
}
