package mcpapi_test

import (
	"strings"
	"testing"

	"github.com/taskbridge/taskbridge/internal/mcpapi"
)

func TestTaskLimitIsAClearToolErrorAndLosesNothing(t *testing.T) {
	onBothPaths(t, testTaskLimitIsAClearToolErrorAndLosesNothing)
}

// At the per-user task limit (I8), creating is refused with a tool error
// that says why and what to do; the tasks already stored are untouched,
// the trash counts, and room made by a purge can be used again. Another
// user is not affected.
func testTaskLimitIsAClearToolErrorAndLosesNothing(t *testing.T, via path) {
	e := newEnv(t, func(d *mcpapi.Deps) { d.Tasks = d.Tasks.WithMaxPerUser(3) })
	e.use(via)
	s := e.client(t, e.newUser(t), readWrite)
	create(t, s, map[string]any{"title": "one"})
	create(t, s, map[string]any{"title": "two"})
	trashed, token := trashedTask(t, s, "three, in the trash")

	msg := callErr(t, s, "create_task", map[string]any{"title": "four", "notes": "kept by the caller"})
	for _, want := range []string{"storage limit reached", "3 tasks (1 of them in the trash)", "limit is 3", "nothing was created", "empty the trash"} {
		if !strings.Contains(msg, want) {
			t.Errorf("create_task at the limit: %q does not say %q", msg, want)
		}
	}
	var batch batchJSON
	callOK(t, s, "create_tasks", map[string]any{"items": []map[string]any{{"title": "five"}, {"title": "six"}}}, &batch)
	if batch.Succeeded != 0 || batch.Failed != 2 || !strings.Contains(batch.Results[1].Error, "storage limit reached") {
		t.Errorf("create_tasks at the limit: %+v", batch)
	}

	var live, trash listJSON
	callOK(t, s, "list_tasks", map[string]any{}, &live)
	callOK(t, s, "list_tasks", map[string]any{"view": "trash"}, &trash)
	if live.Count != 2 || trash.Count != 1 {
		t.Fatalf("after the refusals: %d live and %d trashed tasks, want 2 and 1", live.Count, trash.Count)
	}

	other := e.client(t, e.newUser(t), readWrite)
	create(t, other, map[string]any{"title": "another account has its own limit"})

	callOK(t, s, "purge_task", map[string]any{"id": trashed, "confirmation": token}, nil)
	if got := create(t, s, map[string]any{"title": "four"}); got.Title != "four" {
		t.Fatalf("create after emptying the trash: %+v", got)
	}
}
