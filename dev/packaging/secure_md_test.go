package packaging_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// guidelineIDs are the IDs of the project's security guidelines
// (../shared/GUIDELINES.md); when that file is present its IDs are checked
// against this list, so a new guideline cannot be missed.
var guidelineIDs = strings.Fields(`P1 P2 P3 P4 P5 P6 P7 P8 A1 A2 A3 A4 A5 A6 A7 A8 A9
D1 D2 D3 D4 D5 D6 D7 D8 D9 D10 I1 I2 I3 I4 I5 I6 I7 I8 W1 W2 W3 L1 L2 L3 L4 L5 L6 L7 L8
S1 S2 S3 O1 O2 O3 O4 O5 O6 C1 C2 C3`)

// TestSecureMDTracesEveryGuidelineToRealTests keeps SECURE.md honest (O5):
// one row per guideline ID, every test it cites exists, and a row marked
// done cites at least one test.
func TestSecureMDTracesEveryGuidelineToRealTests(t *testing.T) {
	root := repoRoot(t)
	if shared, err := os.ReadFile(filepath.Join(root, "..", "shared", "GUIDELINES.md")); err == nil {
		found := regexp.MustCompile(`(?m)^- ([A-Z][0-9]+) `).FindAllStringSubmatch(string(shared), -1)
		if len(found) != len(guidelineIDs) {
			t.Errorf("GUIDELINES.md has %d IDs, this test knows %d: update guidelineIDs", len(found), len(guidelineIDs))
		}
	}
	raw, err := os.ReadFile(filepath.Join(root, "SECURE.md"))
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string][]string{}
	for _, line := range strings.Split(string(raw), "\n") {
		cells := strings.Split(line, "|")
		if len(cells) < 6 {
			continue
		}
		id := strings.TrimSpace(cells[1])
		if regexp.MustCompile(`^[A-Z][0-9]+$`).MatchString(id) {
			rows[id] = append(rows[id], line)
		}
	}
	testFuncs := collectTestFuncs(t, root)
	cite := regexp.MustCompile(`\b((?:Test|Fuzz|Benchmark)[A-Z0-9_][A-Za-z0-9_]*)\b`)
	for _, id := range guidelineIDs {
		lines := rows[id]
		if len(lines) != 1 {
			t.Errorf("%s: %d rows in SECURE.md, want exactly 1", id, len(lines))
			continue
		}
		cells := strings.Split(lines[0], "|")
		testCell, status := cells[len(cells)-3], strings.ToLower(cells[len(cells)-2])
		cited := cite.FindAllString(testCell, -1)
		for _, name := range cited {
			if !testFuncs[name] {
				t.Errorf("%s cites %s, which no _test.go file defines", id, name)
			}
		}
		if strings.Contains(status, "done") && len(cited) == 0 && !strings.Contains(testCell, "browser") {
			t.Errorf("%s is marked done but cites no test", id)
		}
	}
}

func collectTestFuncs(t *testing.T, root string) map[string]bool {
	t.Helper()
	funcs := map[string]bool{}
	re := regexp.MustCompile(`(?m)^func ((?:Test|Fuzz|Benchmark)\w+)\(`)
	jsTest := regexp.MustCompile(`test\(['"]([^'"]+)['"]`)
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "node_modules" || d.Name() == ".git") {
			return filepath.SkipDir
		}
		switch {
		case strings.HasSuffix(path, "_test.go"):
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			for _, m := range re.FindAllStringSubmatch(string(b), -1) {
				funcs[m[1]] = true
			}
		case strings.HasSuffix(path, ".test.mjs"):
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			for _, m := range jsTest.FindAllStringSubmatch(string(b), -1) {
				funcs[m[1]] = true
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return funcs
}
