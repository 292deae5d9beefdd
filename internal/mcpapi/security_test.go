package mcpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/taskbridge/taskbridge/internal/audit"
	"github.com/taskbridge/taskbridge/internal/httpx"
	"github.com/taskbridge/taskbridge/internal/identity"
	"github.com/taskbridge/taskbridge/internal/mcpapi"
	"github.com/taskbridge/taskbridge/internal/postgres"
)

func TestValidationErrorsAreToolErrors(t *testing.T) {
	onBothPaths(t, testValidationErrorsAreToolErrors)
}

func testValidationErrorsAreToolErrors(t *testing.T, via path) {
	e := newEnv(t)
	e.use(via)
	u := e.newUser(t)
	s := e.client(t, u, readWrite)
	a := create(t, s, map[string]any{"title": "a"})
	create(t, s, map[string]any{"title": "b"})
	var page listJSON
	callOK(t, s, "list_tasks", map[string]any{"limit": 1}, &page)
	if page.NextCursor == "" {
		t.Fatal("no cursor")
	}
	other := e.client(t, e.newUser(t), readWrite)
	create(t, other, map[string]any{"title": "x"})
	create(t, other, map[string]any{"title": "y"})
	tampered := []byte(page.NextCursor)
	tampered[10] ^= 0x01
	if tampered[10] == '-' || tampered[10] == '_' {
		tampered[10] = 'A'
	}
	many := make([]map[string]any, 26)
	for i := range many {
		many[i] = map[string]any{"title": "t"}
	}
	manyIDs := make([]string, 26)
	for i := range manyIDs {
		manyIDs[i] = uuid.NewString()
	}

	cases := []struct {
		name, tool string
		sess       *mcp.ClientSession
		args       map[string]any
		want       string
	}{
		{"bad uuid", "get_task", s, map[string]any{"id": "not-a-uuid"}, "id"},
		{"bad uuid in update", "update_task", s, map[string]any{"id": "1234", "title": "x"}, "id"},
		{"impossible date", "create_task", s, map[string]any{"title": "t", "due_date": "2026-02-30"}, "due_date"},
		{"date with time", "create_task", s, map[string]any{"title": "t", "due_date": "2026-02-03T10:00:00Z"}, "due_date"},
		{"bad filter date", "list_tasks", s, map[string]any{"due_before": "tomorrow"}, "due_before"},
		{"title too long", "create_task", s, map[string]any{"title": strings.Repeat("x", 201)}, "title"},
		{"notes too long", "update_task", s, map[string]any{"id": a.ID, "notes": strings.Repeat("x", 20001)}, "notes"},
		{"blank title", "create_task", s, map[string]any{"title": " \u200b "}, "title"},
		{"bad priority enum", "create_task", s, map[string]any{"title": "t", "priority": "urgent"}, "priority"},
		{"bad status enum", "list_tasks", s, map[string]any{"status": "archived"}, "status"},
		{"bad view enum", "list_tasks", s, map[string]any{"view": "all"}, "view"},
		{"bad tag", "create_task", s, map[string]any{"title": "t", "tags": []string{"no spaces"}}, "tag"},
		{"limit too big", "list_tasks", s, map[string]any{"limit": 1000}, "limit"},
		{"empty patch", "update_task", s, map[string]any{"id": a.ID}, "nothing to change"},
		{"too many batch items", "create_tasks", s, map[string]any{"items": many}, "items"},
		{"too many batch ids", "complete_tasks", s, map[string]any{"ids": manyIDs}, "ids"},
		{"empty batch", "create_tasks", s, map[string]any{"items": []any{}}, "items"},
		{"tampered cursor", "list_tasks", s, map[string]any{"limit": 1, "cursor": string(tampered)}, "cursor"},
		{"garbage cursor", "list_tasks", s, map[string]any{"cursor": "not a cursor"}, "cursor"},
		{"cursor of another filter", "list_tasks", s, map[string]any{"limit": 1, "cursor": page.NextCursor, "status": "done"}, "cursor"},
		{"cursor of another user", "list_tasks", other, map[string]any{"limit": 1, "cursor": page.NextCursor}, "cursor"},
		{"unknown argument", "get_task", s, map[string]any{"id": a.ID, "user_id": uuid.NewString()}, "user_id"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			msg := callErr(t, c.sess, c.tool, c.args)
			if !strings.Contains(msg, c.want) {
				t.Fatalf("error %q does not mention %q", msg, c.want)
			}
			for _, leak := range []string{"panic", "goroutine", "pgx", "SQLSTATE", ".go:"} {
				if strings.Contains(msg, leak) {
					t.Fatalf("error leaks internals (%s): %q", leak, msg)
				}
			}
		})
	}
	t.Run("expired cursor", func(t *testing.T) {
		e.clock.t = e.clock.t.Add(2 * time.Hour)
		defer func() { e.clock.t = e.clock.t.Add(-2 * time.Hour) }()
		if msg := callErr(t, s, "list_tasks", map[string]any{"limit": 1, "cursor": page.NextCursor}); !strings.Contains(msg, "cursor") {
			t.Fatal(msg)
		}
	})
}

func TestCrossUserIDsAreNotFound(t *testing.T) { onBothPaths(t, testCrossUserIDsAreNotFound) }

func testCrossUserIDsAreNotFound(t *testing.T, via path) {
	e := newEnv(t)
	e.use(via)
	owner := e.client(t, e.newUser(t), readWrite)
	mine := create(t, owner, map[string]any{"title": "owner's task"})
	trashed := create(t, owner, map[string]any{"title": "owner's trashed task"})
	callOK(t, owner, "delete_task", map[string]any{"id": trashed.ID}, nil)

	intruderID := e.newUser(t)
	intruder := e.client(t, intruderID, readWrite)
	missing := callErr(t, intruder, "get_task", map[string]any{"id": uuid.NewString()})
	for _, c := range []struct {
		tool string
		args map[string]any
	}{
		{"get_task", map[string]any{"id": mine.ID}},
		{"fetch", map[string]any{"id": mine.ID}},
		{"update_task", map[string]any{"id": mine.ID, "title": "pwned"}},
		{"complete_task", map[string]any{"id": mine.ID}},
		{"reopen_task", map[string]any{"id": mine.ID}},
		{"delete_task", map[string]any{"id": mine.ID}},
		{"restore_task", map[string]any{"id": trashed.ID}},
	} {
		if msg := callErr(t, intruder, c.tool, c.args); msg != missing {
			t.Errorf("%s on another user's task: %q, want the not-found answer %q", c.tool, msg, missing)
		}
	}
	// Even a well-formed confirmation minted for the intruder, for this very
	// trashing, cannot purge the owner's task: the row is invisible to the
	// intruder.
	tok := mcpapi.IssuePurgeToken(e.deps, intruderID, uuid.MustParse(trashed.ID), trashedAt(t, trashed.ID))
	if msg := callErr(t, intruder, "purge_task", map[string]any{"id": trashed.ID, "confirmation": tok}); msg != missing {
		t.Errorf("purge of another user's task: %q", msg)
	}
	var batch batchJSON
	callOK(t, intruder, "complete_tasks", map[string]any{"ids": []string{mine.ID}}, &batch)
	if batch.Failed != 1 || !strings.Contains(batch.Results[0].Error, "not found") {
		t.Errorf("complete_tasks on another user's task: %+v", batch)
	}
	var l listJSON
	callOK(t, intruder, "list_tasks", map[string]any{}, &l)
	if l.Count != 0 {
		t.Errorf("intruder lists %d tasks", l.Count)
	}
	var got oneTask
	callOK(t, owner, "get_task", map[string]any{"id": mine.ID}, &got)
	if got.Task.Title != "owner's task" || got.Task.Status != "open" || got.Task.InTrash {
		t.Errorf("owner's task changed: %+v", got.Task)
	}
}

func TestScopeRefusalInBand(t *testing.T) { onBothPaths(t, testScopeRefusalInBand) }

func testScopeRefusalInBand(t *testing.T, via path) {
	e := newEnv(t)
	e.use(via)
	u := e.newUser(t)
	reader := e.client(t, u, readOnly)
	res := call(t, reader, "create_task", map[string]any{"title": "should not exist"})
	if !res.IsError || res.StructuredContent != nil {
		t.Fatalf("refusal: isError=%v structuredContent=%v", res.IsError, res.StructuredContent)
	}
	want := `Bearer error="insufficient_scope", scope="tasks.write", resource_metadata="` + testPRM +
		`", error_description="create_task needs the tasks.write permission, which this connection was not granted"`
	ch, _ := res.Meta["mcp/www_authenticate"].([]any)
	if len(ch) != 1 || ch[0] != want {
		t.Fatalf("mcp/www_authenticate = %v\nwant [%s]", res.Meta["mcp/www_authenticate"], want)
	}
	writer := e.client(t, u, writeOnly)
	if res := call(t, writer, "list_tasks", map[string]any{}); !res.IsError || !strings.Contains(text(res), "tasks.read") {
		t.Fatalf("write-only token listed tasks: %s", text(res))
	}
	var l listJSON
	callOK(t, e.client(t, u, readWrite), "list_tasks", map[string]any{}, &l)
	if l.Count != 0 {
		t.Fatal("a refused create_task created a task")
	}
	rows := auditRows(t)
	if len(rows) < 2 || rows[0].Outcome != "denied" || rows[0].Detail["tool"] != "create_task" || rows[0].Detail["reason"] != "insufficient_scope" {
		t.Fatalf("audit rows %+v, want a denied row first", rows)
	}
}

// rawCall posts one JSON-RPC request the way a host does and returns the
// HTTP response.
func rawCall(t *testing.T, e *env, user uuid.UUID, scopes []identity.Scope, method string, params any) *http.Response {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": 1, "method": method, "params": params})
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("Mcp-Protocol-Version", "2025-11-25")
	if user != uuid.Nil {
		req.Header.Set(userHeader, user.String())
		req.Header.Set(scopesHeader, identity.JoinScopes(scopes))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func TestScopeRefusalHTTP403(t *testing.T) {
	callArgs := map[string]any{"name": "create_task", "arguments": map[string]any{"title": "x"}}
	t.Run("opt-in 403 with WWW-Authenticate", func(t *testing.T) {
		e := newEnv(t, func(d *mcpapi.Deps) { d.HTTPScopeChallenge = true })
		resp := rawCall(t, e, e.newUser(t), readOnly, "tools/call", callArgs)
		want := `Bearer error="insufficient_scope", scope="tasks.write", resource_metadata="` + testPRM +
			`", error_description="create_task needs the tasks.write permission, which this connection was not granted"`
		if resp.StatusCode != http.StatusForbidden || resp.Header.Get("WWW-Authenticate") != want {
			t.Fatalf("status %d WWW-Authenticate %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
		}
		if ok := rawCall(t, e, e.newUser(t), readWrite, "tools/call", callArgs); ok.StatusCode != http.StatusOK {
			t.Fatalf("a token with the scope got %d", ok.StatusCode)
		}
	})
	t.Run("default is the in-band form only", func(t *testing.T) {
		e := newEnv(t)
		resp := rawCall(t, e, e.newUser(t), readOnly, "tools/call", callArgs)
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "mcp/www_authenticate") {
			t.Fatalf("status %d body %s", resp.StatusCode, body)
		}
	})
}

func TestUnauthenticatedRequestIs401(t *testing.T) {
	e := newEnv(t)
	resp := rawCall(t, e, uuid.Nil, nil, "tools/list", map[string]any{})
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(resp.Header.Get("WWW-Authenticate"), `resource_metadata="`+testPRM+`"`) {
		t.Fatalf("status %d WWW-Authenticate %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
	var body httpx.ErrorBody
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || resp.Header.Get("Content-Type") != "application/json" || body.Error != "invalid_token" {
		t.Fatalf("401 body: %v %+v, want the JSON error shape", err, body)
	}
}

func TestToolsListFilteredByScope(t *testing.T) {
	e := newEnv(t)
	u := e.newUser(t)
	read := []string{"fetch", "get_account_profile", "get_task", "list_tasks", "search", "show_task_board"}
	write := []string{"complete_task", "complete_tasks", "create_task", "create_tasks", "delete_task", "purge_task", "reopen_task",
		"request_account_deletion", "restore_task", "update_task"}
	for _, c := range []struct {
		name   string
		scopes []identity.Scope
		want   []string
	}{
		{"read", readOnly, read},
		{"write", writeOnly, write},
		{"both", readWrite, append(append([]string{}, read...), write...)},
		{"none", []identity.Scope{identity.ScopeOfflineAccess}, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			res, err := e.client(t, u, c.scopes).ListTools(context.Background(), nil)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]bool{}
			for _, tool := range res.Tools {
				got[tool.Name] = true
			}
			if len(got) != len(c.want) {
				t.Fatalf("tools %v, want %v", got, c.want)
			}
			for _, w := range c.want {
				if !got[w] {
					t.Fatalf("tools %v lack %s", got, w)
				}
			}
		})
	}
}

func TestAuditRowSharesTheEffectTransaction(t *testing.T) {
	onBothPaths(t, testAuditRowSharesTheEffectTransaction)
}

func testAuditRowSharesTheEffectTransaction(t *testing.T, via path) {
	e := newEnv(t, func(d *mcpapi.Deps) {
		mcpapi.SetAuditAppender(d, func(ctx context.Context, q postgres.Execer, ev audit.Event) error {
			if ev.Type == "tool.call" && ev.Outcome == audit.OutcomeSuccess {
				return context.DeadlineExceeded // the audit write fails
			}
			return testAudit.Append(ctx, q, ev)
		})
	})
	e.use(via)
	s := e.client(t, e.newUser(t), readWrite)
	msg := callErr(t, s, "create_task", map[string]any{"title": "must roll back"})
	if !strings.Contains(msg, "nothing was changed") || !strings.Contains(msg, "request id req-") {
		t.Fatalf("error %q", msg)
	}
	var n int
	if err := tdb.Admin(t).QueryRow(context.Background(), `SELECT count(*) FROM tasks`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("%d tasks exist although their audit row failed", n)
	}
	rows := auditRows(t)
	if len(rows) != 1 || rows[0].Outcome != "error" {
		t.Fatalf("audit rows %+v, want one error row and no success row", rows)
	}
}

// TestTokenInfoCrossCheck: when the go-sdk bearer middleware is in the
// chain, its token info must name the same user as the principal, and only
// scopes present in both count.
func TestTokenInfoCrossCheck(t *testing.T) { onBothPaths(t, testTokenInfoCrossCheck) }

func testTokenInfoCrossCheck(t *testing.T, via path) {
	var info auth.TokenInfo
	e := newEnv(t)
	e.use(via)
	verifier := func(context.Context, string, *http.Request) (*auth.TokenInfo, error) { return &info, nil }
	chained := httptest.NewServer(testPrincipal(auth.RequireBearerToken(verifier, nil)(e.srv.Config.Handler)))
	t.Cleanup(chained.Close)
	e.srv = chained
	u := e.newUser(t)

	info = auth.TokenInfo{UserID: u.String(), Scopes: []string{"tasks.read"}, Expiration: time.Now().Add(time.Hour)}
	s := e.client(t, u, readWrite)
	if res := call(t, s, "create_task", map[string]any{"title": "x"}); !res.IsError || res.Meta["mcp/www_authenticate"] == nil {
		t.Fatalf("token info without tasks.write still allowed a write: %s", text(res))
	}
	info = auth.TokenInfo{UserID: uuid.NewString(), Scopes: []string{"tasks.read", "tasks.write"}, Expiration: time.Now().Add(time.Hour)}
	// The HTTP layer refuses the mismatch with 401 before any tool runs.
	if res, err := s.CallTool(context.Background(), &mcp.CallToolParams{Name: "list_tasks", Arguments: map[string]any{}}); err == nil && !res.IsError {
		t.Fatalf("token info for another user accepted: %s", text(res))
	}
}
