package browsertest_test

import (
	"fmt"
	"os"
	"testing"
)

// TestBrowserBoardAsAPersonUsesIt runs test/board-ux.test.mjs: the board
// as a person meets it in both host dialects (MCP Apps through the
// official AppBridge, and a window.openai-only host), over a list longer
// than one page, with axe-core on every state (issue 16).
func TestBrowserBoardAsAPersonUsesIt(t *testing.T) {
	if os.Getenv("TASKBRIDGE_BROWSER_TESTS") != "1" {
		t.Skip("browser tests run from `make test-browser` (TASKBRIDGE_BROWSER_TESTS=1)")
	}
	backend := newBackend(t)
	h := startHarness(t, backend)
	backend.seedStore(t, longList())
	h.runNode(t, "test/board-ux.test.mjs")
}

// longList is 35 live tasks, more than one page (25): the oldest, on the
// second page, is the only done one, and one is in the trash.
func longList() []fixtureTask {
	out := []fixtureTask{{Title: "Done long ago", Done: true}, {Title: "Thrown out", InTrash: true}}
	for i := 1; i <= 34; i++ {
		out = append(out, fixtureTask{Title: fmt.Sprintf("Task %02d", i), Prio: map[bool]string{true: "high"}[i%7 == 0], Tags: tagsFor(i)})
	}
	return out
}

func tagsFor(i int) []string {
	if i%5 == 0 {
		return []string{"home"}
	}
	return nil
}
