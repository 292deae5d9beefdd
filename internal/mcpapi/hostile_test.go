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
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/taskbridge/taskbridge/internal/httpx"
	"github.com/taskbridge/taskbridge/internal/identity"
	"github.com/taskbridge/taskbridge/internal/keyring"
	"github.com/taskbridge/taskbridge/internal/logging"
	"github.com/taskbridge/taskbridge/internal/mcpapi"
	"github.com/taskbridge/taskbridge/internal/postgres"
)

// Hostile input at the HTTP level: bodies no client library would send.
// Every answer must be a clear client error or a tool error, never a 5xx,
// and nothing may be stored other than what validation let through.

// rawEnv is the /mcp handler called directly (no network), as one user
// with both scopes.
type rawEnv struct {
	h    http.Handler
	db   *postgres.DB
	user uuid.UUID
	logs *bytes.Buffer
}

func newRawEnv(tb testing.TB) *rawEnv {
	tb.Helper()
	ctx := context.Background()
	db, err := postgres.Open(ctx, tdb.AppURL, postgres.PoolOptions{MaxConns: 4})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(db.Close)
	spec, err := keyring.Generate("test")
	if err != nil {
		tb.Fatal(err)
	}
	keys, err := keyring.Parse(spec)
	if err != nil {
		tb.Fatal(err)
	}
	logs := &bytes.Buffer{}
	h, err := mcpapi.NewHandler(mcpapi.Deps{
		DB: db, Tasks: postgres.NewTasks(keys), StateKey: bytes.Repeat([]byte("s"), 32),
		Log: logging.New(logs, logging.Options{}), ResourceURL: "http://127.0.0.1/mcp", ResourceMetadataURL: testPRM,
		PublicURL: "http://127.0.0.1", Audit: testAudit,
	})
	if err != nil {
		tb.Fatal(err)
	}
	user := uuid.New()
	err = db.InUserTx(ctx, user, func(tx postgres.Querier) error {
		_, err := tx.Exec(ctx, `INSERT INTO users (id, email) VALUES ($1, $2)`, user, user.String()+"@example.test")
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
	return &rawEnv{h: h, db: db, user: user, logs: logs}
}

// post sends body to the handler; chunked sends it without a length.
func (e *rawEnv) post(body []byte, chunked bool) *httptest.ResponseRecorder {
	return e.postWith(body, chunked, eraHeaders("2025-06-18", ""))
}

// postWith is post with the given headers.
func (e *rawEnv) postWith(body []byte, chunked bool, header http.Header) *httptest.ResponseRecorder {
	var rd io.Reader = bytes.NewReader(body)
	if chunked {
		rd = io.MultiReader(rd) // hides the length: NewRequest sets none
	}
	r := httptest.NewRequest(http.MethodPost, "http://127.0.0.1/mcp", rd)
	r.Header = header.Clone()
	p := identity.Principal{UserID: e.user, ClientID: clientIDValue, GrantID: uuid.New(),
		Scopes: []identity.Scope{identity.ScopeTasksRead, identity.ScopeTasksWrite}}
	r = r.WithContext(identity.WithPrincipal(logging.WithRequestID(r.Context(), "req-hostile"), p))
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, r)
	return w
}

func toolCall(name string, args any) []byte {
	raw, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": 1, "method": "tools/call",
		"params": map[string]any{"name": name, "arguments": args}})
	return raw
}

// internalError is the text of a tool error that hides a server fault: a
// hostile argument must be refused by validation instead.
const internalError = "could not complete this request"

// checkAnswer fails on a 5xx, on a 200 that is not one JSON-RPC message,
// and on a tool result that hides a server fault.
func checkAnswer(t testing.TB, what string, w *httptest.ResponseRecorder) {
	t.Helper()
	if w.Code >= 500 {
		t.Fatalf("%s: status %d: %s", what, w.Code, truncated(w.Body.String()))
	}
	if w.Code != http.StatusOK {
		return
	}
	var msg struct {
		Result *struct {
			IsError bool `json:"isError"`
			Content []struct {
				Text string `json:"text"`
			} `json:"content"`
		} `json:"result"`
		Error *struct{ Code int } `json:"error"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &msg); err != nil {
		t.Fatalf("%s: 200 with a body that is not one JSON-RPC message: %v: %s", what, err, truncated(w.Body.String()))
	}
	if msg.Result != nil && msg.Result.IsError {
		for _, c := range msg.Result.Content {
			if strings.Contains(c.Text, internalError) {
				t.Fatalf("%s: a server fault instead of a validation error: %s", what, c.Text)
			}
		}
	}
}

func truncated(s string) string {
	if len(s) > 300 {
		return s[:300] + "…"
	}
	return s
}

// TestHostileBodiesGetClearErrors: deeply nested JSON, malformed UTF-8,
// wrong types and garbage get 4xx or a JSON-RPC error, never a 5xx.
func TestHostileBodiesGetClearErrors(t *testing.T) {
	e := newRawEnv(t)
	deepArgs := `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"create_task","arguments":{"title":` +
		strings.Repeat("[", 50_000) + strings.Repeat("]", 50_000) + `}}}`
	cases := map[string][]byte{
		"100k open brackets":        bytes.Repeat([]byte("["), 100_000),
		"100k nested objects":       []byte(strings.Repeat(`{"a":`, 100_000)),
		"deep arguments":            []byte(deepArgs),
		"malformed UTF-8 in method": []byte("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/\xff\xfe\"}"),
		"empty":                     {},
		"null":                      []byte("null"),
		"empty batch":               []byte("[]"),
		"not JSON":                  []byte("DROP TABLE tasks;"),
		"trailing garbage":          append(toolCall("list_tasks", map[string]any{}), []byte("}}}")...),
		"params a string":           []byte(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":"x"}`),
		"arguments an array":        []byte(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"create_task","arguments":[1,2]}}`),
		"title a number":            toolCall("create_task", map[string]any{"title": 1e308}),
		"limit huge":                toolCall("list_tasks", map[string]any{"limit": 1e18}),
		"limit negative":            toolCall("list_tasks", map[string]any{"limit": -1}),
		"id an object":              []byte(`{"jsonrpc":"2.0","id":{"x":1},"method":"tools/call","params":{"name":"list_tasks","arguments":{}}}`),
		"unknown tool":              toolCall("drop_tables", map[string]any{}),
		"1000 calls in a batch":     []byte("[" + strings.TrimSuffix(strings.Repeat(string(toolCall("list_tasks", map[string]any{}))+",", 1000), ",") + "]"),
		"NUL in the tool name":      toolCall("list_tasks\x00", map[string]any{}),
	}
	for name, body := range cases {
		t.Run(name, func(t *testing.T) {
			checkAnswer(t, name, e.post(body, false))
		})
	}
	if strings.Contains(e.logs.String(), "panic") {
		t.Fatalf("a hostile body caused a panic: %s", e.logs.String())
	}
}

// TestMalformedUTF8IsCleanedNotStoredRaw: invalid UTF-8 inside a title
// reaches validation as U+FFFD (the JSON decoder replaces it) and what is
// stored is valid UTF-8.
func TestMalformedUTF8IsCleanedNotStoredRaw(t *testing.T) {
	e := newRawEnv(t)
	body := []byte("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"create_task\",\"arguments\":{\"title\":\"bad \xc3\x28 bytes \xed\xa0\x80\",\"notes\":\"\xff\"}}}")
	w := e.post(body, false)
	checkAnswer(t, "malformed UTF-8", w)
	var title string
	err := e.db.InUserTx(context.Background(), e.user, func(tx postgres.Querier) error {
		return tx.QueryRow(context.Background(), `SELECT title FROM tasks ORDER BY created_at DESC LIMIT 1`).Scan(&title)
	})
	if err != nil {
		t.Fatalf("no task stored: %v (%s)", err, w.Body.String())
	}
	if !utf8.ValidString(title) || !strings.HasPrefix(title, "bad ") {
		t.Fatalf("stored title %q", title)
	}
}

// TestOversizedBodyIs413: over the MCP limit, with and without a declared
// length, the answer is 413 and the handler never parses the body.
func TestOversizedBodyIs413(t *testing.T) {
	e := newRawEnv(t)
	big := toolCall("create_task", map[string]any{"title": "x", "notes": strings.Repeat("n", 1<<20)})
	for _, chunked := range []bool{false, true} {
		w := e.post(big, chunked)
		if w.Code != http.StatusRequestEntityTooLarge {
			t.Errorf("chunked=%v: %d, want 413", chunked, w.Code)
		}
		// The answer is the server's one JSON error shape, as everywhere
		// outside JSON-RPC (httpx.ErrorBody).
		var body httpx.ErrorBody
		if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || w.Header().Get("Content-Type") != "application/json" ||
			body.Error != "request_too_large" || body.RequestID != "req-hostile" {
			t.Errorf("chunked=%v: %q %s, want the JSON error shape", chunked, w.Header().Get("Content-Type"), w.Body.Bytes())
		}
	}
}

// sqlMeta are strings that would break a query built by concatenation.
var sqlMeta = []string{
	`'; DROP TABLE tasks; --`,
	`" OR 1=1 --`,
	`\'); DELETE FROM users WHERE ('1'='1`,
	`%_ LIKE '%' ESCAPE '\'`,
	`$1 $$ $tag$ $tag$`,
	`/* comment */ UNION SELECT password_hash FROM credentials --`,
	`app.user_id'; SELECT set_config('app.user_id', '00000000-0000-0000-0000-000000000000', false); --`,
}

// TestSQLMetacharactersInEveryStringField: every string argument of every
// tool with SQL metacharacters is either stored and returned byte for byte
// (free text) or refused by validation with a message (structured fields);
// never a server fault, never a changed query.
func TestSQLMetacharactersInEveryStringField(t *testing.T) {
	e := newEnv(t)
	user := e.newUser(t)
	s := e.client(t, user, readWrite)
	for _, evil := range sqlMeta {
		var created struct {
			Task struct{ ID, Title string } `json:"task"`
		}
		callOK(t, s, "create_task", map[string]any{"title": evil, "notes": evil}, &created)
		if created.Task.Title != evil {
			t.Errorf("title %q came back as %q", evil, created.Task.Title)
		}
		id := created.Task.ID
		var fetched struct {
			Text string `json:"text"`
		}
		callOK(t, s, "fetch", map[string]any{"id": id}, &fetched)
		if !strings.Contains(fetched.Text, evil) {
			t.Errorf("notes %q not returned verbatim: %q", evil, fetched.Text)
		}
		newTitle := evil + " (renamed)"
		callOK(t, s, "update_task", map[string]any{"id": id, "title": newTitle, "notes": evil}, nil)
		var hits struct {
			Results []struct{ ID string } `json:"results"`
		}
		callOK(t, s, "search", map[string]any{"query": evil}, &hits)
		if len(hits.Results) != 1 || hits.Results[0].ID != id {
			t.Errorf("search for %q found %v, want exactly its task", evil, hits.Results)
		}
		var listed struct{ Tasks []struct{ ID string } }
		callOK(t, s, "list_tasks", map[string]any{"query": evil}, &listed)
		if len(listed.Tasks) != 1 {
			t.Errorf("list query %q found %d tasks, want 1", evil, len(listed.Tasks))
		}
		// Structured fields refuse it with a message, not a fault.
		for _, c := range []struct {
			tool string
			args map[string]any
		}{
			{"create_task", map[string]any{"title": "t", "tags": []string{evil}}},
			{"create_task", map[string]any{"title": "t", "due_date": evil}},
			{"create_task", map[string]any{"title": "t", "priority": evil}},
			{"update_task", map[string]any{"id": evil, "title": "t"}},
			{"get_task", map[string]any{"id": evil}},
			{"complete_task", map[string]any{"id": evil}},
			{"delete_task", map[string]any{"id": evil}},
			{"list_tasks", map[string]any{"status": evil}},
			{"list_tasks", map[string]any{"view": evil}},
			{"list_tasks", map[string]any{"due_before": evil}},
			{"list_tasks", map[string]any{"cursor": evil}},
			{"complete_tasks", map[string]any{"ids": []string{evil}}},
		} {
			res := call(t, s, c.tool, c.args)
			if !res.IsError {
				if c.tool == "complete_tasks" {
					continue // per-item results; checked below
				}
				t.Errorf("%s %v: accepted", c.tool, c.args)
			}
			if strings.Contains(text(res), internalError) {
				t.Errorf("%s %v: server fault: %s", c.tool, c.args, text(res))
			}
		}
		// A tag filter is data too: no match, no fault.
		callOK(t, s, "list_tasks", map[string]any{"tag": "x"}, nil)
	}
	// Stored byte for byte, checked past the API as the superuser.
	rows, err := tdb.Admin(t).Query(context.Background(), `SELECT title FROM tasks`)
	if err != nil {
		t.Fatal(err)
	}
	titles, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for _, evil := range sqlMeta {
		want[evil+" (renamed)"] = true
	}
	for _, got := range titles {
		if !want[got] {
			t.Errorf("unexpected stored title %q", got)
		}
		delete(want, got)
	}
	if len(want) > 0 {
		t.Errorf("titles missing: %v", want)
	}
	var users int
	if err := tdb.Admin(t).QueryRow(context.Background(), `SELECT count(*) FROM users`).Scan(&users); err != nil || users != 1 {
		t.Fatalf("users table changed: %d %v", users, err)
	}
}
