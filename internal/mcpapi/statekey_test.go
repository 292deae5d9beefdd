package mcpapi_test

import (
	"strings"
	"testing"
)

// rekeyed is e's handler on the same database and clock with other state
// keys, as a replica is during a rotation of TASKBRIDGE_MCP_STATE_KEY.
func (e *env) rekeyed(t *testing.T, key string, previous ...string) *env {
	t.Helper()
	d := e.deps
	d.StateKey = []byte(key)
	d.PreviousStateKeys = nil
	for _, p := range previous {
		d.PreviousStateKeys = append(d.PreviousStateKeys, []byte(p))
	}
	return &env{db: e.db, deps: d, srv: newTestServer(t, d), clock: e.clock, protocol: e.protocol, sdk: e.sdk}
}

// TestStateKeyRotatesWithoutRefusingWhatWasSigned (S2): with
// TASKBRIDGE_MCP_STATE_KEY "new,old" a replica signs with the new key and
// still accepts the cursors and purge confirmations the old key signed;
// once the old key is dropped they are refused, and a key that never signed
// them does not make them valid.
func TestStateKeyRotatesWithoutRefusingWhatWasSigned(t *testing.T) {
	onBothPaths(t, testStateKeyRotation)
}

func testStateKeyRotation(t *testing.T, via path) {
	oldKey, newKey, otherKey := strings.Repeat("k", 32), strings.Repeat("n", 32), strings.Repeat("o", 32)
	e := newEnv(t) // signs with oldKey
	e.use(via)
	user := e.newUser(t)
	s := e.client(t, user, readWrite)
	for _, title := range []string{"one", "two", "three"} {
		create(t, s, map[string]any{"title": title})
	}
	var page struct {
		NextCursor string `json:"next_cursor"`
	}
	callOK(t, s, "list_tasks", map[string]any{"limit": 2}, &page)
	if page.NextCursor == "" {
		t.Fatal("no cursor for a second page")
	}
	purgeID, purgeTok := trashedTask(t, s, "to purge")

	dropped := e.rekeyed(t, newKey).client(t, user, readWrite)
	if msg := callErr(t, dropped, "list_tasks", map[string]any{"limit": 2, "cursor": page.NextCursor}); !strings.Contains(msg, "cursor") {
		t.Fatalf("cursor of a dropped key: %q", msg)
	}
	if msg := callErr(t, dropped, "purge_task", map[string]any{"id": purgeID, "confirmation": purgeTok}); !strings.Contains(msg, "confirmation") {
		t.Fatalf("purge confirmation of a dropped key: %q", msg)
	}
	wrong := e.rekeyed(t, newKey, otherKey).client(t, user, readWrite)
	if msg := callErr(t, wrong, "list_tasks", map[string]any{"limit": 2, "cursor": page.NextCursor}); !strings.Contains(msg, "cursor") {
		t.Fatalf("cursor under unrelated previous key: %q", msg)
	}

	rotating := e.rekeyed(t, newKey, oldKey).client(t, user, readWrite)
	var next struct {
		Tasks      []map[string]any `json:"tasks"`
		NextCursor string           `json:"next_cursor"`
	}
	callOK(t, rotating, "list_tasks", map[string]any{"limit": 2, "cursor": page.NextCursor}, &next)
	if len(next.Tasks) == 0 {
		t.Fatal("the old key's cursor gave an empty page during the rotation")
	}
	callOK(t, rotating, "purge_task", map[string]any{"id": purgeID, "confirmation": purgeTok}, nil)

	// What the rotating replica signs, a replica with only the new key accepts.
	freshID, freshTok := trashedTask(t, rotating, "purged after the rotation")
	var fresh struct {
		NextCursor string `json:"next_cursor"`
	}
	callOK(t, rotating, "list_tasks", map[string]any{"limit": 1}, &fresh)
	done := e.rekeyed(t, newKey).client(t, user, readWrite)
	callOK(t, done, "list_tasks", map[string]any{"limit": 1, "cursor": fresh.NextCursor}, nil)
	callOK(t, done, "purge_task", map[string]any{"id": freshID, "confirmation": freshTok}, nil)
}
