package mcpapi_test

import (
	"fmt"
	"reflect"
	"testing"
)

// TestBoardCountsAreTheUsersTotals: the board's counts come from the
// server and cover every task, not the page it shows (issue 16 item 2),
// and they stay out of what the model reads.
func TestBoardCountsAreTheUsersTotals(t *testing.T) {
	e := newEnv(t)
	s := e.client(t, e.newUser(t), readWrite)
	var first taskJSON
	for i := range 4 {
		tk := create(t, s, map[string]any{"title": fmt.Sprintf("task %d", i)})
		if i == 0 {
			first = tk
		}
	}
	callOK(t, s, "complete_task", map[string]any{"id": first.ID}, nil)
	trashed := create(t, s, map[string]any{"title": "gone"})
	callOK(t, s, "delete_task", map[string]any{"id": trashed.ID}, nil)

	var page listJSON
	res := callOK(t, s, "list_tasks", map[string]any{"limit": 2}, &page)
	if len(page.Tasks) != 2 || !page.HasMore {
		t.Fatalf("page: %d tasks, has_more %v", len(page.Tasks), page.HasMore)
	}
	want := map[string]any{"open": 3.0, "done": 1.0, "trash": 1.0}
	if got := boardOf(t, res)["counts"]; !reflect.DeepEqual(got, want) {
		t.Errorf("board counts %v, want %v", got, want)
	}
	if got := boardOf(t, callOK(t, s, "show_task_board", map[string]any{"view": "trash"}, nil))["counts"]; !reflect.DeepEqual(got, want) {
		t.Errorf("trash board counts %v, want %v", got, want)
	}
	if sc, _ := res.StructuredContent.(map[string]any); sc != nil {
		if _, leaked := sc["counts"]; leaked {
			t.Errorf("counts are in structuredContent: %v", sc)
		}
	}
}

// TestBatchCreatedTasksListInCreationOrder: tasks created by one
// create_tasks call list in a stable order (newest first, so the batch's
// last item on top), not by their random ids (issue 16 item 8).
func TestBatchCreatedTasksListInCreationOrder(t *testing.T) {
	e := newEnv(t)
	s := e.client(t, e.newUser(t), readWrite)
	var items []map[string]any
	var want []string
	for i := range 12 {
		title := fmt.Sprintf("batch %02d", i)
		items = append(items, map[string]any{"title": title})
		want = append([]string{title}, want...)
	}
	callOK(t, s, "create_tasks", map[string]any{"items": items}, nil)
	var page listJSON
	callOK(t, s, "list_tasks", map[string]any{}, &page)
	var got []string
	for _, tk := range page.Tasks {
		got = append(got, tk.Title)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("listed %v, want %v", got, want)
	}
}
