package checklist_test

import (
	"go/ast"
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

// storageAdapter is the one package that holds SQL and talks to the driver.
const storageAdapter = "internal/postgres"

// sqlStatement matches the start of a SQL statement in a string literal.
// Keywords are upper case, as every query here is written, so prose such
// as "select a task from the list" does not match.
var sqlStatement = regexp.MustCompile(`\b(SELECT\s+[\w*(]|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|TRUNCATE\s|CREATE\s+(TABLE|ROLE|DATABASE|INDEX)|ALTER\s+(TABLE|ROLE)|GRANT\s+\w+\s+ON|set_config\()`)

// TestSQLLivesOnlyInTheStorageAdapter: no product package but
// internal/postgres imports the driver or holds a SQL statement in a string
// (non-test files; dev/ tooling provisions databases and is exempt, and
// tests may inspect rows directly, as an outsider would). "Where is the SQL
// for X?" has one answer.
func TestSQLLivesOnlyInTheStorageAdapter(t *testing.T) {
	seenAdapter := false
	for _, sf := range parseSources(t) {
		if hasPathPrefix(sf.dir, "dev/") {
			continue
		}
		if hasPathPrefix(sf.dir, storageAdapter) {
			seenAdapter = seenAdapter || containsSQL(sf.file)
			continue
		}
		for _, p := range imports(t, sf.file) {
			if hasPathPrefix(p, "github.com/jackc/pgx") || p == "github.com/jackc/pgerrcode" || p == "database/sql" {
				t.Errorf("%s imports %s: only %s talks to the database; declare the small interface you need and let the adapter implement it", sf.rel, p, storageAdapter)
			}
		}
		ast.Inspect(sf.file, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			if s, err := strconv.Unquote(lit.Value); err == nil && sqlStatement.MatchString(s) {
				t.Errorf("%s holds SQL (%.60q): move the statement into %s", sf.rel, strings.TrimSpace(s), storageAdapter)
			}
			return true
		})
	}
	if !seenAdapter {
		t.Fatal("no SQL found in the storage adapter: the check is broken")
	}
}

func containsSQL(f *ast.File) bool {
	found := false
	ast.Inspect(f, func(n ast.Node) bool {
		if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
			if s, err := strconv.Unquote(lit.Value); err == nil && sqlStatement.MatchString(s) {
				found = true
			}
		}
		return !found
	})
	return found
}

// TestImportsAreGroupedStandardLibraryFirst: the first import group of
// every Go file (tests included) is the standard library only, and this
// module's packages come after third-party ones, as
// `goimports -local <module>` writes them.
func TestImportsAreGroupedStandardLibraryFirst(t *testing.T) {
	mod := modulePath(t)
	root := repoRoot(t)
	checked := 0
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if rel, _ := filepath.Rel(root, p); rel == "tools" || strings.HasPrefix(d.Name(), ".") || d.Name() == "node_modules" || d.Name() == "testdata" {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, ".go") {
			return nil
		}
		rel, _ := filepath.Rel(root, p)
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, p, nil, parser.ImportsOnly)
		if err != nil {
			t.Errorf("%s: %v", rel, err)
			return nil
		}
		checked++
		// Split the imports into groups at blank lines.
		var groups [][]string
		lastLine := -10
		for _, imp := range f.Imports {
			line := fset.Position(imp.Pos()).Line
			if imp.Doc != nil {
				line = fset.Position(imp.Doc.Pos()).Line
			}
			path, _ := strconv.Unquote(imp.Path.Value)
			if line > lastLine+1 || len(groups) == 0 {
				groups = append(groups, nil)
			}
			groups[len(groups)-1] = append(groups[len(groups)-1], path)
			lastLine = fset.Position(imp.End()).Line
		}
		kind := func(path string) int {
			switch {
			case path == mod || strings.HasPrefix(path, mod+"/"):
				return 2
			case !strings.Contains(strings.Split(path, "/")[0], "."):
				return 0
			default:
				return 1
			}
		}
		prev := -1
		for _, g := range groups {
			k := kind(g[0])
			for _, path := range g {
				if kind(path) != k {
					t.Errorf("%s: import group mixes %q with %q: standard library, third party and %s each in their own group (goimports -local %s)", filepath.ToSlash(rel), g[0], path, mod, mod)
					return nil
				}
			}
			if k < prev {
				t.Errorf("%s: import groups out of order at %q: standard library first, then third party, then %s", filepath.ToSlash(rel), g[0], mod)
				return nil
			}
			prev = k
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 100 {
		t.Fatalf("only %d Go files checked: the walk is broken", checked)
	}
}

// TestCatalogueNamesRealTests: docs/test-catalogue.md is the behaviour
// catalogue the TestB10_NN tests are numbered after. Every test it names
// exists, and every TestB10_NN test is named in row NN.
func TestCatalogueNamesRealTests(t *testing.T) {
	doc := read(t, "docs/test-catalogue.md")
	rows := map[int]string{}
	for _, m := range regexp.MustCompile(`(?m)^\| (\d+) \|(.*)$`).FindAllStringSubmatch(doc, -1) {
		n, _ := strconv.Atoi(m[1])
		rows[n] = m[2]
	}
	if len(rows) < 28 {
		t.Fatalf("found %d catalogue rows, want at least 28: the parse is broken", len(rows))
	}
	defined := testFunctions(t)
	for n, row := range rows {
		for _, m := range regexp.MustCompile("`((?:Test|Fuzz)[A-Za-z0-9_]+)`").FindAllStringSubmatch(row, -1) {
			if !slices.Contains(defined, m[1]) {
				t.Errorf("catalogue item %d names %s, which no test file defines", n, m[1])
			}
		}
	}
	numbered := regexp.MustCompile(`^TestB10_(\d+)_`)
	count := 0
	for _, name := range defined {
		m := numbered.FindStringSubmatch(name)
		if m == nil {
			continue
		}
		count++
		n, _ := strconv.Atoi(m[1])
		if !strings.Contains(rows[n], "`"+name+"`") {
			t.Errorf("%s carries catalogue number %d, but item %d of docs/test-catalogue.md does not name it", name, n, n)
		}
	}
	if count == 0 {
		t.Fatal("no TestB10_NN test found: the walk is broken")
	}
}

// testFunctions lists every Test and Fuzz function in the module's test files.
func testFunctions(t *testing.T) []string {
	t.Helper()
	root := repoRoot(t)
	var names []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if strings.HasPrefix(d.Name(), ".") || d.Name() == "node_modules" || d.Name() == "testdata" {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for _, m := range regexp.MustCompile(`(?m)^func ((?:Test|Fuzz)\w+)\(`).FindAllStringSubmatch(string(src), -1) {
			names = append(names, m[1])
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return names
}

// TestLogErrorsUnderOneKey: an error goes into a log line under the key
// "err", never "error", so one query finds every failure.
func TestLogErrorsUnderOneKey(t *testing.T) {
	logCalls := []string{"Debug", "Info", "Warn", "Error", "DebugContext", "InfoContext", "WarnContext", "ErrorContext", "Log", "LogAttrs", "With"}
	attrs := []string{"Any", "String", "Group"}
	calls := 0
	for _, sf := range parseSources(t) {
		ast.Inspect(sf.file, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			var keys []ast.Expr
			switch {
			case slices.Contains(attrs, sel.Sel.Name):
				if pkg, ok := sel.X.(*ast.Ident); ok && pkg.Name == "slog" && len(call.Args) > 0 {
					keys = call.Args[:1]
				}
			case slices.Contains(logCalls, sel.Sel.Name):
				calls++
				keys = call.Args
			}
			for _, k := range keys {
				if lit, ok := k.(*ast.BasicLit); ok && lit.Kind == token.STRING && lit.Value == `"error"` {
					t.Errorf("%s logs under the key \"error\": use \"err\"", sf.rel)
				}
			}
			return true
		})
	}
	if calls == 0 {
		t.Fatal("no log call found: the walk is broken")
	}
}
