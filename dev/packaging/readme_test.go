package packaging_test

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/taskbridge/taskbridge/internal/cli"
)

// The README is followed verbatim by newcomers; these tests keep the parts a
// machine can check true (TestReadmeRunWithoutDocker runs one section).

// readmeSection is the text under the level-2 heading title, up to the next
// level-2 heading.
func readmeSection(t *testing.T, title string) string {
	t.Helper()
	readme := readRepoFile(t, "README.md")
	start := strings.Index(readme, "\n## "+title+"\n")
	if start < 0 {
		t.Fatalf("README.md has no %q section", "## "+title)
	}
	body := readme[start+len("\n## "+title+"\n"):]
	if end := strings.Index(body, "\n## "); end >= 0 {
		body = body[:end]
	}
	return body
}

// codeBlocks returns the contents of the fenced code blocks in text, in order.
func codeBlocks(text string) []string {
	var blocks []string
	for _, m := range regexp.MustCompile("(?ms)^ *```[a-z]*\n(.*?)^ *```$").FindAllStringSubmatch(text, -1) {
		blocks = append(blocks, m[1])
	}
	return blocks
}

// TestReadmeDescribesEveryInternalPackage: every Go package under internal/, dev/
// and web/ (nested ones included) has its paragraph in the Architecture
// section, and every paragraph names a package that exists.
func TestReadmeDescribesEveryInternalPackage(t *testing.T) {
	section := readmeSection(t, "Architecture")
	pkgs := goPackageDirs(t, "internal", "web", "dev")
	if !slices.Contains(pkgs, "internal/task") || !slices.Contains(pkgs, "web/widget") {
		t.Fatalf("package walk found %v: it is broken", pkgs)
	}
	for _, dir := range pkgs {
		if !strings.Contains(section, "\n**`"+dir+"`**: ") {
			t.Errorf("%s has no paragraph in README.md's Architecture section (add one starting with **`%s`**: )", dir, dir)
		}
	}
	for _, m := range regexp.MustCompile("\n\\*\\*`((?:internal|web|dev)/[a-z0-9_/]+)`\\*\\*: ").FindAllStringSubmatch(section, -1) {
		if !slices.Contains(pkgs, m[1]) {
			t.Errorf("README.md describes %s, which is not a Go package", m[1])
		}
	}
	if !strings.Contains(section, "```\n") {
		t.Error("the Architecture section lost its diagram")
	}
}

// goPackageDirs lists, relative to the repository root and slash-separated,
// every directory under the given top-level directories that holds a Go
// file (test files included: a tests-only package is a package too).
func goPackageDirs(t *testing.T, tops ...string) []string {
	t.Helper()
	root := repoRoot(t)
	var dirs []string
	for _, top := range tops {
		err := filepath.WalkDir(filepath.Join(root, top), func(path string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			name := d.Name()
			if d.IsDir() {
				if strings.HasPrefix(name, ".") || name == "node_modules" || name == "testdata" {
					return filepath.SkipDir
				}
				return nil
			}
			if strings.HasSuffix(name, ".go") {
				rel, err := filepath.Rel(root, filepath.Dir(path))
				if err != nil {
					return err
				}
				if rel = filepath.ToSlash(rel); !slices.Contains(dirs, rel) {
					dirs = append(dirs, rel)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return dirs
}

// TestReadmeCommandsTableMatchesTheBinary: the Commands section has one
// table of `taskbridge ...` rows, with no row outside it and no row twice,
// and the command names in it are exactly the subcommands cli.Run
// dispatches (cli.CommandNames reads the same table as the dispatcher).
func TestReadmeCommandsTableMatchesTheBinary(t *testing.T) {
	section := readmeSection(t, "Commands")
	lines := strings.Split(section, "\n")
	header := slices.Index(lines, "| command | what it does |")
	if header < 0 || header+1 >= len(lines) || lines[header+1] != "| --- | --- |" {
		t.Fatal("README.md's Commands section has no `| command | what it does |` table")
	}
	end := header + 2
	for end < len(lines) && strings.HasPrefix(lines[end], "|") {
		end++
	}
	row := regexp.MustCompile("^\\| `taskbridge ([a-z][a-z0-9-]*)[^`]*` \\|")
	for i, line := range lines {
		if (i < header || i >= end) && strings.HasPrefix(strings.TrimSpace(line), "| `taskbridge ") {
			t.Errorf("Commands section: a command row outside the table (a blank line ends a Markdown table): %s", line)
		}
	}
	inTable := map[string]bool{}
	seenRow := map[string]bool{}
	for _, line := range lines[header+2 : end] {
		m := row.FindStringSubmatch(line)
		if m == nil {
			t.Errorf("Commands table: row does not start with a `taskbridge <command> ...` cell: %s", line)
			continue
		}
		cell, _, _ := strings.Cut(strings.TrimPrefix(line, "| "), " |")
		if seenRow[cell] {
			t.Errorf("Commands table: %s appears twice", cell)
		}
		seenRow[cell] = true
		inTable[m[1]] = true
	}
	names := cli.CommandNames()
	if len(names) < 5 {
		t.Fatalf("cli.CommandNames() = %v: too few to be the real list", names)
	}
	for _, name := range names {
		if !inTable[name] {
			t.Errorf("the binary has `taskbridge %s` but README.md's Commands table has no row for it", name)
		}
	}
	for name := range inTable {
		if !slices.Contains(names, name) {
			t.Errorf("README.md's Commands table has `taskbridge %s`, which the binary does not have (cli.CommandNames: %v)", name, names)
		}
	}
}

// TestModulePathOnlyInGoModAndImports keeps the README's one-command module
// rename (sed over *.go and *.mod) sufficient: the module path may appear in
// go.mod module lines and Go import lines only (Markdown is prose the forker
// edits by hand).
func TestModulePathOnlyInGoModAndImports(t *testing.T) {
	root := repoRoot(t)
	modulePath := goModModule(t)
	importLine := regexp.MustCompile(`^\s*(import\s+)?([A-Za-z_][A-Za-z0-9_]*\s+|\.\s+)?"` + regexp.QuoteMeta(modulePath) + `(/[^"]*)?"\s*(//.*)?$`)
	moduleLine := regexp.MustCompile(`^module ` + regexp.QuoteMeta(modulePath) + `(/\S+)?$`)
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != root && (strings.HasPrefix(name, ".") || name == "node_modules" || name == "bin" || name == "test-results") {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(name, ".md") || !d.Type().IsRegular() {
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		// Build output (test binaries, bin/) is not source a forker renames.
		head := make([]byte, 8000)
		n, _ := f.Read(head)
		if bytes.IndexByte(head[:n], 0) >= 0 {
			return nil
		}
		if _, err := f.Seek(0, 0); err != nil {
			return err
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
		for n := 1; sc.Scan(); n++ {
			line := sc.Text()
			if !strings.Contains(line, modulePath) {
				continue
			}
			switch {
			case strings.HasSuffix(name, ".go") && importLine.MatchString(line):
			case name == "go.mod" && moduleLine.MatchString(line):
			default:
				t.Errorf("%s:%d names the module path outside go.mod and imports, so renaming the module needs more than the README's sed: %s", rel, n, strings.TrimSpace(line))
			}
		}
		return sc.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	fork := readmeSection(t, "Fork it")
	if !strings.Contains(fork, "git ls-files -z '*.go' '*.mod' | xargs -0 sed -i 's#") {
		t.Error("README.md's Fork it section no longer has the rename command this test guards")
	}
}

// goModModule is the module path go.mod declares (after a fork, the new one).
func goModModule(t *testing.T) string {
	t.Helper()
	m := regexp.MustCompile(`(?m)^module (\S+)$`).FindStringSubmatch(readRepoFile(t, "go.mod"))
	if m == nil {
		t.Fatal("go.mod has no module line")
	}
	return m[1]
}

// TestReadmeTryItNeedsNoSecretStep: the quick start is `docker compose up`
// on a clean clone (TestComposeNeedsNoSecretFromTheHost proves compose needs
// nothing more); no step writes a .env or generates a secret by hand.
func TestReadmeTryItNeedsNoSecretStep(t *testing.T) {
	blocks := codeBlocks(readmeSection(t, "Try it"))
	if !slices.ContainsFunc(blocks, func(b string) bool { return strings.TrimSpace(b) == "docker compose up --build" }) {
		t.Errorf("Try it does not show `docker compose up --build`:\n%q", blocks)
	}
	for _, b := range blocks {
		if strings.Contains(b, ".env") || strings.Contains(b, "openssl") {
			t.Errorf("Try it still has a manual secret step:\n%s", b)
		}
	}
}
