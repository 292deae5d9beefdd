package packaging_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// firstScreen is what a newcomer sees before scrolling: the README's lines
// up to its first level-2 heading.
func firstScreen(t *testing.T) string {
	t.Helper()
	readme := readRepoFile(t, "README.md")
	end := strings.Index(readme, "\n## ")
	if end < 0 {
		t.Fatal("README.md has no level-2 heading")
	}
	return readme[:end]
}

// TestReadmeFirstScreenRunsAndTestsIt: the first screen holds the two
// commands a newcomer needs, exactly as the rest of the repository runs
// them: the compose command of "Try it" and the test command CI runs.
func TestReadmeFirstScreenRunsAndTestsIt(t *testing.T) {
	screen := firstScreen(t)
	if n := strings.Count(screen, "\n"); n > 30 {
		t.Errorf("README's first screen is %d lines; keep it to about 30", n)
	}
	blocks := codeBlocks(screen)
	if len(blocks) != 1 {
		t.Fatalf("README's first screen has %d code blocks, want the one with the two commands", len(blocks))
	}
	var cmds []string
	for _, line := range strings.Split(strings.TrimSpace(blocks[0]), "\n") {
		cmd, _, _ := strings.Cut(line, "#")
		cmds = append(cmds, strings.TrimSpace(cmd))
	}
	tryIt := strings.Join(codeBlocks(readmeSection(t, "Try it")), "\n")
	if len(cmds) != 2 || !strings.Contains(tryIt, cmds[0]) || !strings.HasPrefix(cmds[0], "docker compose up") {
		t.Errorf("the first command should be the Try it section's `docker compose up`: %q", cmds)
	}
	ci, err := os.ReadFile(filepath.Join(repoRoot(t), ".ci", "run"))
	if err != nil {
		t.Fatal(err)
	}
	if len(cmds) != 2 || cmds[1] != "make test" || !regexp.MustCompile(`(?m)^exec make test$`).Match(ci) {
		t.Errorf("the second command should be `make test`, which .ci/run runs: %q", cmds)
	}
}

// TestReadmeLinksResolve: every in-page link of the README names a heading
// (GitHub's anchor rules), and every relative link names a file that exists.
// Links are looked for outside the fenced code blocks.
func TestReadmeLinksResolve(t *testing.T) {
	readme := readRepoFile(t, "README.md")
	anchors := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^#{1,6} (.+)$`).FindAllStringSubmatch(readme, -1) {
		anchors[githubAnchor(m[1])] = true
	}
	// Code blocks are not Markdown: Go's mustSchema[T](nil) is no link.
	prose := regexp.MustCompile("(?ms)^```.*?^```$").ReplaceAllString(readme, "")
	for _, m := range regexp.MustCompile(`\]\(([^)\s]+)\)`).FindAllStringSubmatch(prose, -1) {
		target := m[1]
		switch {
		case strings.HasPrefix(target, "#"):
			if !anchors[target[1:]] {
				t.Errorf("README links to %s, which is no heading", target)
			}
		case strings.Contains(target, "://"):
		default:
			path, _, _ := strings.Cut(target, "#")
			if _, err := os.Stat(filepath.Join(repoRoot(t), path)); err != nil {
				t.Errorf("README links to %s: %v", target, err)
			}
		}
	}
}

// githubAnchor is the id GitHub gives a heading: lower case, punctuation
// other than - and _ dropped, spaces as -.
func githubAnchor(heading string) string {
	heading = strings.ToLower(strings.TrimSpace(heading))
	var b strings.Builder
	for _, r := range heading {
		switch {
		case r == ' ':
			b.WriteRune('-')
		case r == '-' || r == '_' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r > 127:
			b.WriteRune(r)
		}
	}
	return b.String()
}
