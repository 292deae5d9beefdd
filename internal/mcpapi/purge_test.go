package mcpapi_test

import (
	"context"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/taskbridge/taskbridge/internal/mcpapi"
)

func trashedTask(t *testing.T, s *mcp.ClientSession, title string) (id, token string) {
	t.Helper()
	tk := create(t, s, map[string]any{"title": title})
	res := callOK(t, s, "delete_task", map[string]any{"id": tk.ID}, nil)
	tok, _ := boardOf(t, res)["purge_confirmations"].(map[string]any)[tk.ID].(string)
	if tok == "" {
		t.Fatal("no purge confirmation for a trashed task")
	}
	return tk.ID, tok
}

func TestPurgeNeedsTheWidgetConfirmation(t *testing.T) {
	e := newEnv(t)
	u := e.newUser(t)
	s := e.client(t, u, readWrite)
	id, tok := trashedTask(t, s, "to purge")
	otherID, otherTok := trashedTask(t, s, "another")

	raw, _ := base64.RawURLEncoding.DecodeString(tok)
	raw[3] ^= 0xff
	tampered := base64.RawURLEncoding.EncodeToString(raw)
	// Extending the expiry invalidates the MAC.
	raw, _ = base64.RawURLEncoding.DecodeString(tok)
	raw[len(raw)-1]++
	extended := base64.RawURLEncoding.EncodeToString(raw)
	at := trashedAt(t, id)
	foreignUser := mcpapi.IssuePurgeToken(e.deps, uuid.New(), uuid.MustParse(id), at)
	otherTrashing := mcpapi.IssuePurgeToken(e.deps, u, uuid.MustParse(id), at.Add(time.Microsecond))
	if mcpapi.IssuePurgeToken(e.deps, u, uuid.MustParse(id), at) != tok {
		t.Fatal("IssuePurgeToken does not mint the board's token for the same trashing")
	}

	for _, c := range []struct{ name, confirmation string }{
		{"model path without a token", ""},
		{"token for another task", otherTok},
		{"token for another user", foreignUser},
		{"token for another trashing", otherTrashing},
		{"tampered token", tampered},
		{"extended expiry", extended},
		{"made-up token", "please-purge"},
	} {
		t.Run(c.name, func(t *testing.T) {
			args := map[string]any{"id": id, "confirmation": c.confirmation}
			if msg := callErr(t, s, "purge_task", args); !strings.Contains(msg, "confirmation") {
				t.Fatalf("error %q", msg)
			}
		})
	}
	t.Run("expired token", func(t *testing.T) {
		e.clock.t = e.clock.t.Add(11 * time.Minute)
		defer func() { e.clock.t = e.clock.t.Add(-11 * time.Minute) }()
		callErr(t, s, "purge_task", map[string]any{"id": otherID, "confirmation": otherTok})
	})
	var got oneTask
	callOK(t, s, "get_task", map[string]any{"id": id}, &got)
	if !got.Task.InTrash {
		t.Fatal("task changed by refused purges")
	}
	denied := 0
	for _, r := range auditRows(t) {
		if r.Detail["tool"] == "purge_task" && r.Outcome == "denied" {
			denied++
		}
	}
	if denied != 8 {
		t.Fatalf("%d denied purge audit rows, want 8", denied)
	}
	callOK(t, s, "purge_task", map[string]any{"id": id, "confirmation": tok}, nil)
	callOK(t, s, "purge_task", map[string]any{"id": otherID, "confirmation": otherTok}, nil)
}

// trashedAt is the task's deleted_at as the database holds it (to the
// microsecond), read as the superuser (inspection only).
func trashedAt(t *testing.T, id string) time.Time {
	t.Helper()
	var at *time.Time
	if err := tdb.Admin(t).QueryRow(context.Background(), `SELECT deleted_at FROM tasks WHERE id = $1`, id).Scan(&at); err != nil {
		t.Fatal(err)
	}
	if at == nil {
		t.Fatalf("task %s is not in the trash", id)
	}
	return *at
}

// TestPurgeConfirmationIsBoundToTheTrashing (P6): a confirmation is for one
// trashing of a task. After a restore it no longer purges the (live) task,
// and after the task is trashed again it still does not: only the token the
// board got for the new trashing does. Both refusals are audited as denied
// and change nothing.
func TestPurgeConfirmationIsBoundToTheTrashing(t *testing.T) {
	onBothPaths(t, testPurgeConfirmationIsBoundToTheTrashing)
}

func testPurgeConfirmationIsBoundToTheTrashing(t *testing.T, via path) {
	e := newEnv(t)
	e.use(via)
	s := e.client(t, e.newUser(t), readWrite)
	id, oldTok := trashedTask(t, s, "trashed twice")
	callOK(t, s, "restore_task", map[string]any{"id": id}, nil)
	if msg := callErr(t, s, "purge_task", map[string]any{"id": id, "confirmation": oldTok}); !strings.Contains(msg, "confirmation") {
		t.Fatalf("old token on the restored task: %q", msg)
	}
	var live oneTask
	callOK(t, s, "get_task", map[string]any{"id": id}, &live)
	if live.Task.InTrash {
		t.Fatal("the refused purge changed the restored task")
	}

	res := callOK(t, s, "delete_task", map[string]any{"id": id}, nil)
	newTok, _ := boardOf(t, res)["purge_confirmations"].(map[string]any)[id].(string)
	if newTok == "" {
		t.Fatal("no purge confirmation for the second trashing")
	}
	if msg := callErr(t, s, "purge_task", map[string]any{"id": id, "confirmation": oldTok}); !strings.Contains(msg, "confirmation") {
		t.Fatalf("token of the first trashing after the second: %q", msg)
	}
	var trashed oneTask
	callOK(t, s, "get_task", map[string]any{"id": id}, &trashed)
	if !trashed.Task.InTrash {
		t.Fatal("the refused purge changed the trashed task")
	}
	var denied []auditRow
	for _, r := range auditRows(t) {
		if r.Detail["tool"] == "purge_task" && r.Outcome == "denied" {
			denied = append(denied, r)
		}
	}
	if len(denied) != 2 {
		t.Fatalf("%d denied purge rows, want 2: %+v", len(denied), denied)
	}
	for _, r := range denied {
		if r.Detail["reason"] != "bad_confirmation" || r.Detail["confirmed"] != nil {
			t.Errorf("denied purge row %+v", r.Detail)
		}
	}

	var purged struct {
		Purged bool `json:"purged"`
	}
	callOK(t, s, "purge_task", map[string]any{"id": id, "confirmation": newTok}, &purged)
	if !purged.Purged {
		t.Fatal("the fresh token did not purge")
	}
}

func TestPurgeIsAppOnlyInTheDescriptor(t *testing.T) {
	e := newEnv(t)
	res, err := e.client(t, e.newUser(t), readWrite).ListTools(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tool := range res.Tools {
		if tool.Name != "purge_task" {
			continue
		}
		ui, _ := tool.Meta["ui"].(map[string]any)
		vis, _ := ui["visibility"].([]any)
		if len(vis) != 1 || vis[0] != "app" || tool.Meta["openai/widgetAccessible"] != true {
			t.Fatalf("purge_task _meta %v", tool.Meta)
		}
		return
	}
	t.Fatal("purge_task not listed")
}

func TestPurgeWidgetProvenanceWhenRequired(t *testing.T) {
	e := newEnv(t, func(d *mcpapi.Deps) { d.RequireWidgetProvenance = true })
	s := e.client(t, e.newUser(t), readWrite)
	id, tok := trashedTask(t, s, "x")
	args := map[string]any{"id": id, "confirmation": tok}
	if msg := callErr(t, s, "purge_task", args); !strings.Contains(msg, "confirmation") {
		t.Fatalf("call without widget provenance: %q", msg)
	}
	res, err := s.CallTool(context.Background(), &mcp.CallToolParams{
		Meta: mcp.Meta{"openai/widgetSessionId": "ws_123"}, Name: "purge_task", Arguments: args})
	if err != nil || res.IsError {
		t.Fatalf("widget call refused: %v %s", err, text(res))
	}
}
