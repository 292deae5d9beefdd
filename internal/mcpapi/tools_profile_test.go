package mcpapi_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/taskbridge/taskbridge/internal/postgres"
)

// userWithEmail inserts a user with the given address, as sign-up does.
func (e *env) userWithEmail(t *testing.T, email string) uuid.UUID {
	t.Helper()
	id := uuid.New()
	err := e.db.InUserTx(context.Background(), id, func(tx postgres.Querier) error {
		_, err := tx.Exec(context.Background(), `INSERT INTO users (id, email) VALUES ($1, $2)`, id, email)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// TestProfileToolNamesTheAccountShortened: the openai/profile tool is
// listed to a read-only connection, returns a stable opaque id and the
// shortened email the consent page names (never the full address or the
// internal user id), in structuredContent and as JSON text, and is audited
// like every tool call.
func TestProfileToolNamesTheAccountShortened(t *testing.T) { onBothPaths(t, testProfileTool) }

func testProfileTool(t *testing.T, via path) {
	e := newEnv(t)
	e.use(via)
	jane := e.userWithEmail(t, "jane.doe-"+uuid.NewString()[:8]+"@example.com")
	other := e.userWithEmail(t, "jo@example.org")
	s := e.client(t, jane, readOnly)

	tools, err := s.ListTools(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	var listed bool
	for _, tool := range tools.Tools {
		if tool.Name != "get_account_profile" {
			continue
		}
		listed = true
		if tool.Meta["openai/profile"] != true || !tool.Annotations.ReadOnlyHint {
			t.Errorf("profile tool _meta %v, readOnlyHint %v", tool.Meta, tool.Annotations.ReadOnlyHint)
		}
	}
	if !listed {
		t.Fatal("a read-only connection does not see get_account_profile")
	}

	var first struct{ ID, Name string }
	res := callOK(t, s, "get_account_profile", map[string]any{}, &first)
	if first.Name != "ja…@example.com" {
		t.Errorf("label %q, want ja…@example.com", first.Name)
	}
	if len(first.ID) != 32 || strings.Contains(first.ID, jane.String()) {
		t.Errorf("id %q: want 32 opaque hex characters", first.ID)
	}
	var fromText struct{ ID, Name string }
	if err := json.Unmarshal([]byte(text(res)), &fromText); err != nil || fromText != first {
		t.Errorf("text content %q does not carry the same object: %v", text(res), err)
	}
	raw, _ := json.Marshal(res)
	if strings.Contains(string(raw), "jane.doe") || strings.Contains(string(raw), jane.String()) {
		t.Errorf("result leaks the full email or the user id: %s", raw)
	}

	// Stable across a new connection with more scopes; different for another account.
	var again, theirs struct{ ID, Name string }
	callOK(t, e.client(t, jane, readWrite), "get_account_profile", nil, &again)
	callOK(t, e.client(t, other, readOnly), "get_account_profile", nil, &theirs)
	if again.ID != first.ID {
		t.Errorf("id changed across connections: %q then %q", first.ID, again.ID)
	}
	if theirs.ID == first.ID || theirs.Name != "j…@example.org" {
		t.Errorf("other account: %+v (jane's id %q)", theirs, first.ID)
	}

	rows := auditRows(t)
	if len(rows) != 3 {
		t.Fatalf("%d audit rows for 3 calls: %+v", len(rows), rows)
	}
	for _, r := range rows {
		if r.Type != "tool.call" || r.Outcome != "success" || r.Detail["tool"] != "get_account_profile" {
			t.Errorf("audit row %+v", r)
		}
		if strings.Contains(stringify(r.Detail), "@") {
			t.Errorf("audit detail holds the email: %v", r.Detail)
		}
	}
}
