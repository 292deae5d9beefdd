package mcpapi_test

import (
	"encoding/json"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// publishedCount reads the number PRIVACY.md states in the phrase pattern
// matches ("1,999" or "280").
func publishedCount(t *testing.T, policy string, pattern *regexp.Regexp) int {
	t.Helper()
	m := pattern.FindStringSubmatch(policy)
	if m == nil {
		t.Fatalf("PRIVACY.md does not state %s", pattern)
	}
	n, err := strconv.Atoi(strings.ReplaceAll(m[1], ",", ""))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// longestRun is the longest run of r in s: how much of a note made only of
// r a result carries.
func longestRun(s string, r rune) int {
	best, cur := 0, 0
	for _, c := range s {
		if c == r {
			cur++
			best = max(best, cur)
		} else {
			cur = 0
		}
	}
	return best
}

// PRIVACY.md tells the user how much of their notes an assistant's model
// sees, and how much the task board (widget-only _meta) gets (D1, D2).
// Every tool whose result carries notes is called through the real handler
// on a note of the maximum length: what the model reads (structuredContent
// and the text content) holds no more of it than published, and the board
// no more than published for it.
func TestModelSeesNoMoreNotesThanPrivacyMDSays(t *testing.T) {
	raw, err := os.ReadFile("../../PRIVACY.md")
	if err != nil {
		t.Fatal(err)
	}
	policy := strings.Join(strings.Fields(string(raw)), " ")
	modelMax := publishedCount(t, policy, regexp.MustCompile(`notes cut to ([\d,]+) characters`))
	boardMax := publishedCount(t, policy, regexp.MustCompile(`task board [^.]*notes up to ([\d,]+) characters`))

	e := newEnv(t)
	s := e.client(t, e.newUser(t), readWrite)
	const r = 'ж' // appears nowhere else in a result
	notes := strings.Repeat(string(r), 20000)
	a := create(t, s, map[string]any{"title": "Long notes", "notes": notes})
	results := map[string]*mcp.CallToolResult{
		"create_task":     call(t, s, "create_task", map[string]any{"title": "Long notes too", "notes": notes}),
		"create_tasks":    call(t, s, "create_tasks", map[string]any{"items": []map[string]any{{"title": "Batch", "notes": notes}}}),
		"update_task":     call(t, s, "update_task", map[string]any{"id": a.ID, "notes": notes}),
		"get_task":        call(t, s, "get_task", map[string]any{"id": a.ID}),
		"fetch":           call(t, s, "fetch", map[string]any{"id": a.ID}),
		"list_tasks":      call(t, s, "list_tasks", map[string]any{}),
		"show_task_board": call(t, s, "show_task_board", map[string]any{}),
		"complete_task":   call(t, s, "complete_task", map[string]any{"id": a.ID}),
	}
	for tool, res := range results {
		if res.IsError {
			t.Fatalf("%s: %s", tool, text(res))
		}
		structured, err := json.Marshal(res.StructuredContent)
		if err != nil {
			t.Fatal(err)
		}
		seen := max(longestRun(string(structured), r), longestRun(text(res), r))
		if seen > modelMax || seen < modelMax-1 { // the excerpt ends in "…" inside the limit
			t.Errorf("%s: the model sees %d characters of a 20,000-character note; PRIVACY.md says %d", tool, seen, modelMax)
		}
		board, ok := res.Meta["taskbridge/board"]
		if !ok {
			continue
		}
		meta, err := json.Marshal(board)
		if err != nil {
			t.Fatal(err)
		}
		if board := longestRun(string(meta), r); board > boardMax || board <= modelMax {
			t.Errorf("%s: the task board gets %d characters of the note; PRIVACY.md says up to %d", tool, board, boardMax)
		}
	}
}
