package mcpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/taskbridge/taskbridge/internal/identity"
	"github.com/taskbridge/taskbridge/internal/keyring"
	"github.com/taskbridge/taskbridge/internal/logging"
	"github.com/taskbridge/taskbridge/internal/mcpapi"
	"github.com/taskbridge/taskbridge/internal/postgres"
	"github.com/taskbridge/taskbridge/internal/task"
)

// The direct tools/call path (fastcall.go) must answer exactly as the
// go-sdk would. pairEnv is two handlers over one database, one store, one
// clock and one state key: the production handler, and one that leaves
// every request to the SDK. A request goes to both; the answers must agree.
type pairEnv struct {
	direct, sdk http.Handler
	db          *postgres.DB
	tasks       *postgres.Tasks
	user        uuid.UUID

	mu       sync.Mutex
	answered []string // tools the direct path answered
}

func newPairEnv(tb testing.TB) *pairEnv {
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
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	e := &pairEnv{db: db, tasks: postgres.NewTasks(keys)}
	deps := mcpapi.Deps{
		DB: db, Tasks: e.tasks, StateKey: bytes.Repeat([]byte("p"), 32),
		Log:         logging.New(&bytes.Buffer{}, logging.Options{}),
		ResourceURL: "http://127.0.0.1/mcp", ResourceMetadataURL: testPRM, PublicURL: "http://127.0.0.1",
		Audit: testAudit, Now: func() time.Time { return now }, AccountDeletion: testAccountDeletion{},
	}
	sdkDeps := deps
	mcpapi.SDKOnly(&sdkDeps)
	mcpapi.OnDirectCall(&deps, func(tool string) {
		e.mu.Lock()
		e.answered = append(e.answered, tool)
		e.mu.Unlock()
	})
	if e.direct, err = mcpapi.NewHandler(deps); err != nil {
		tb.Fatal(err)
	}
	if e.sdk, err = mcpapi.NewHandler(sdkDeps); err != nil {
		tb.Fatal(err)
	}
	e.user = uuid.New()
	err = db.InUserTx(ctx, e.user, func(tx postgres.Querier) error {
		_, err := tx.Exec(ctx, `INSERT INTO users (id, email) VALUES ($1, $2)`, e.user, e.user.String()+"@example.test")
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
	return e
}

// seed stores tasks for the pair's user and returns them.
func (e *pairEnv) seed(tb testing.TB, titles ...string) []task.Task {
	tb.Helper()
	ctx := context.Background()
	var out []task.Task
	err := e.db.InUserTx(ctx, e.user, func(tx postgres.Querier) error {
		for i, title := range titles {
			t, err := e.tasks.Create(ctx, tx, task.NewTask{Title: title, Notes: "notes of " + title + " <b>&",
				Priority: task.PriorityNormal, Tags: []string{"tag" + fmt.Sprint(i%2)}})
			if err != nil {
				return err
			}
			out = append(out, t)
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

type exchange struct {
	header http.Header // replaces the default headers when non-nil
	scopes []identity.Scope
	body   string
}

func defaultHeader() http.Header {
	return http.Header{
		"Content-Type":         {"application/json"},
		"Accept":               {"application/json, text/event-stream"},
		"Mcp-Protocol-Version": {"2025-06-18"},
	}
}

func (e *pairEnv) send(h http.Handler, x exchange) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodPost, "http://127.0.0.1/mcp", strings.NewReader(x.body))
	r.Header = defaultHeader()
	if x.header != nil {
		r.Header = x.header.Clone()
	}
	scopes := x.scopes
	if scopes == nil {
		scopes = readWrite
	}
	p := identity.Principal{UserID: e.user, ClientID: clientIDValue, GrantID: uuid.Nil, Scopes: scopes}
	r = r.WithContext(identity.WithPrincipal(logging.WithRequestID(r.Context(), "req-pair"), p))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

var (
	uuidPattern = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)
	timePattern = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ`)
)

// normalized is a response body as a JSON value; with volatile set, ids and
// timestamps are blanked first (answers to writes, which create different
// tasks on each path).
func normalized(t *testing.T, body []byte, volatile bool) any {
	t.Helper()
	if volatile {
		body = uuidPattern.ReplaceAll(body, []byte("<uuid>"))
		body = timePattern.ReplaceAll(body, []byte("<time>"))
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return "not JSON: " + string(body)
	}
	return v
}

// compare sends x to both handlers and fails when the answers differ in
// status, the headers a client reads, or the JSON body.
func (e *pairEnv) compare(t *testing.T, name string, x exchange, volatile bool) {
	t.Helper()
	want := e.send(e.sdk, x)
	got := e.send(e.direct, x)
	if got.Code != want.Code {
		t.Fatalf("%s: status %d, the SDK answers %d (%s)", name, got.Code, want.Code, truncated(want.Body.String()))
	}
	for _, h := range []string{"Content-Type", "Cache-Control", "Retry-After", "Mcp-Session-Id"} {
		if got.Header().Get(h) != want.Header().Get(h) {
			t.Errorf("%s: %s %q, the SDK answers %q", name, h, got.Header().Get(h), want.Header().Get(h))
		}
	}
	if want.Header().Get("Content-Type") != "application/json" {
		if got.Body.String() != want.Body.String() {
			t.Errorf("%s: body %q, the SDK answers %q", name, got.Body.String(), want.Body.String())
		}
		return
	}
	g, w := normalized(t, got.Body.Bytes(), volatile), normalized(t, want.Body.Bytes(), volatile)
	if !reflect.DeepEqual(g, w) {
		t.Errorf("%s: body differs\n direct: %s\n    sdk: %s", name, truncated(got.Body.String()), truncated(want.Body.String()))
	}
	if got.Code == http.StatusOK {
		era := "2025-06-18"
		if x.header != nil {
			era = x.header.Get("Mcp-Protocol-Version")
		}
		checkStrictAnswer(t, name, era, got.Body.Bytes())
	}
}

func (e *pairEnv) answeredTools() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.answered...)
}

func callBody(id string, name string, args string) string {
	params := `{"name":"` + name + `"`
	if args != "" {
		params += `,"arguments":` + args
	}
	return `{"jsonrpc":"2.0","id":` + id + `,"method":"tools/call","params":` + params + `}}`
}

// TestDirectToolCallMatchesSDK: for the requests the direct path answers
// (reads, writes, tool errors, argument errors, scope refusals, string and
// integer ids, _meta), in the legacy era and again as 2026-07-28 requests,
// and for the ones it must leave to the SDK (unknown tools, other protocol
// versions, bad headers, unexpected members, per-request metadata or
// standard headers the SDK refuses), the HTTP answer is the one the go-sdk
// gives, and a strict client of the era accepts it.
func TestDirectToolCallMatchesSDK(t *testing.T) {
	tdb.Reset(t)
	e := newPairEnv(t)
	ts := e.seed(t, "Buy milk", "Call the plumber", "Water the plants")
	trashed := e.seed(t, "Old idea")[0]
	ctx := context.Background()
	if err := e.db.InUserTx(ctx, e.user, func(tx postgres.Querier) error {
		_, err := e.tasks.Trash(ctx, tx, trashed.ID)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	id := ts[0].ID.String()

	answered := []struct {
		name string
		x    exchange
	}{
		{"list", exchange{body: callBody("1", "list_tasks", `{}`)}},
		{"list without arguments", exchange{body: callBody("2", "list_tasks", "")}},
		{"list with null arguments", exchange{body: callBody("3", "list_tasks", "null")}},
		{"list page", exchange{body: callBody("4", "list_tasks", `{"limit":1}`)}},
		{"list trash (purge confirmations)", exchange{body: callBody("5", "list_tasks", `{"view":"trash"}`)}},
		{"list filtered", exchange{body: callBody("6", "list_tasks", `{"tag":"tag1","status":"open","query":"p"}`)}},
		{"get", exchange{body: callBody("7", "get_task", `{"id":"`+id+`"}`)}},
		{"get unknown id", exchange{body: callBody("8", "get_task", `{"id":"`+uuid.NewString()+`"}`)}},
		{"get malformed id", exchange{body: callBody("9", "get_task", `{"id":"nope"}`)}},
		{"search", exchange{body: callBody("10", "search", `{"query":"milk"}`)}},
		{"fetch", exchange{body: callBody("11", "fetch", `{"id":"`+id+`"}`)}},
		{"board", exchange{body: callBody("12", "show_task_board", `{}`)}},
		{"unknown argument", exchange{body: callBody("13", "list_tasks", `{"owner_id":"x"}`)}},
		{"wrong argument type", exchange{body: callBody("14", "list_tasks", `{"limit":"ten"}`)}},
		{"arguments not an object", exchange{body: callBody("15", "list_tasks", `[1]`)}},
		{"string id", exchange{body: callBody(`"abc-<1>"`, "list_tasks", `{}`)}},
		{"zero id", exchange{body: callBody("0", "get_task", `{"id":"`+id+`"}`)}},
		{"negative id", exchange{body: callBody("-7", "get_task", `{"id":"`+id+`"}`)}},
		{"no protocol header", exchange{header: http.Header{"Content-Type": {"application/json"},
			"Accept": {"application/json, text/event-stream"}}, body: callBody("16", "list_tasks", `{}`)}},
		{"2025-11-25", exchange{header: http.Header{"Content-Type": {"application/json; charset=utf-8"},
			"Accept": {"*/*"}, "Mcp-Protocol-Version": {"2025-11-25"}}, body: callBody("17", "list_tasks", `{}`)}},
		{"_meta without provenance", exchange{body: `{"jsonrpc":"2.0","id":18,"method":"tools/call","params":{"name":"purge_task","arguments":{"id":"` +
			trashed.ID.String() + `","confirmation":"bad"},"_meta":{"openai/widgetSessionId":"w1","other":[1,2]}}}`}},
		{"read-only token reading", exchange{scopes: readOnly, body: callBody("19", "list_tasks", `{}`)}},
		{"account deletion request", exchange{body: callBody("19", "request_account_deletion", `{}`)}},
		{"account deletion with an argument", exchange{body: callBody("19", "request_account_deletion", `{"user_id":"x"}`)}},
		{"missing scope", exchange{scopes: readOnly, body: callBody("31", "create_task", `{"title":"x"}`)}},
		{"write-only token reading", exchange{scopes: writeOnly, body: callBody("31", "list_tasks", `{}`)}},
	}
	for _, c := range answered {
		for _, x := range []exchange{c.x, inEra(c.x)} {
			before := len(e.answeredTools())
			name := c.name + " in era " + x.header.Get("Mcp-Protocol-Version")
			e.compare(t, name, x, false)
			if len(e.answeredTools()) != before+1 {
				t.Errorf("%s: the direct path did not answer it", name)
			}
		}
	}

	writes := []struct {
		name string
		body string
	}{
		{"create", callBody("20", "create_task", `{"title":"Written twice","notes":"<i>note</i>","tags":["a","b"],"due_date":"2026-12-01"}`)},
		{"complete", callBody("21", "complete_task", `{"id":"`+ts[1].ID.String()+`"}`)},
		{"reopen", callBody("22", "reopen_task", `{"id":"`+ts[1].ID.String()+`"}`)},
		{"update", callBody("23", "update_task", `{"id":"`+ts[2].ID.String()+`","add_tags":["c"]}`)},
		{"create invalid", callBody("24", "create_task", `{"title":""}`)},
	}
	for _, w := range writes {
		for _, x := range []exchange{{body: w.body}, inEra(exchange{body: w.body})} {
			before := len(e.answeredTools())
			e.compare(t, w.name, x, true)
			if len(e.answeredTools()) != before+1 {
				t.Errorf("%s: the direct path did not answer it", w.name)
			}
		}
	}

	declined := []struct {
		name string
		x    exchange
	}{
		{"unknown tool", exchange{body: callBody("30", "drop_tables", `{}`)}},
		{"future protocol version", exchange{header: http.Header{"Content-Type": {"application/json"},
			"Accept": {"application/json, text/event-stream"}, "Mcp-Protocol-Version": {"2099-01-01"}}, body: callBody("32", "list_tasks", `{}`)}},
		{"unsupported old version", exchange{header: http.Header{"Content-Type": {"application/json"},
			"Accept": {"application/json, text/event-stream"}, "Mcp-Protocol-Version": {"2024-01-01"}}, body: callBody("33", "list_tasks", `{}`)}},
		{"Accept without event-stream", exchange{header: http.Header{"Content-Type": {"application/json"},
			"Accept": {"application/json"}, "Mcp-Protocol-Version": {"2025-06-18"}}, body: callBody("34", "list_tasks", `{}`)}},
		{"wrong content type", exchange{header: http.Header{"Content-Type": {"text/plain"},
			"Accept": {"application/json, text/event-stream"}, "Mcp-Protocol-Version": {"2025-06-18"}}, body: callBody("35", "list_tasks", `{}`)}},
		{"Last-Event-ID", exchange{header: http.Header{"Content-Type": {"application/json"}, "Last-Event-Id": {"1"},
			"Accept": {"application/json, text/event-stream"}, "Mcp-Protocol-Version": {"2025-06-18"}}, body: callBody("36", "list_tasks", `{}`)}},
		{"Mcp-Method header", exchange{header: http.Header{"Content-Type": {"application/json"}, "Mcp-Method": {"tools/list"},
			"Accept": {"application/json, text/event-stream"}, "Mcp-Protocol-Version": {"2025-06-18"}}, body: callBody("37", "list_tasks", `{}`)}},
		{"extra params member", exchange{body: `{"jsonrpc":"2.0","id":38,"method":"tools/call","params":{"name":"list_tasks","arguments":{},"requestState":"x"}}`}},
		{"extra message member", exchange{body: `{"jsonrpc":"2.0","id":39,"method":"tools/call","params":{"name":"list_tasks"},"x":1}`}},
		{"capitalised member", exchange{body: `{"jsonrpc":"2.0","id":40,"Method":"tools/call","params":{"name":"list_tasks"}}`}},
		{"fractional id", exchange{body: callBody("41.5", "list_tasks", `{}`)}},
		{"null id", exchange{body: callBody("null", "list_tasks", `{}`)}},
		{"progress token", exchange{body: `{"jsonrpc":"2.0","id":42,"method":"tools/call","params":{"name":"list_tasks","_meta":{"progressToken":1}}}`}},
		{"no params", exchange{body: `{"jsonrpc":"2.0","id":43,"method":"tools/call"}`}},
		{"notification", exchange{body: `{"jsonrpc":"2.0","method":"tools/call","params":{"name":"list_tasks"}}`}},
		{"legacy request with a per-request version", exchange{body: `{"jsonrpc":"2.0","id":44,"method":"tools/call","params":{"name":"list_tasks",` +
			`"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}}`}},
	}
	current := inEra(exchange{body: callBody("50", "list_tasks", `{}`)})
	withHeader := func(k, v string) exchange {
		x := current
		x.header = current.header.Clone()
		if v == "" {
			x.header.Del(k)
		} else {
			x.header.Set(k, v)
		}
		return x
	}
	withMeta := func(meta string) exchange {
		x := current
		x.body = `{"jsonrpc":"2.0","id":51,"method":"tools/call","params":{"name":"list_tasks","arguments":{},"_meta":` + meta + `}}`
		return x
	}
	declined = append(declined, []struct {
		name string
		x    exchange
	}{
		{"2026-07-28 without Mcp-Method", withHeader("Mcp-Method", "")},
		{"2026-07-28 with another Mcp-Method", withHeader("Mcp-Method", "tools/list")},
		{"2026-07-28 without Mcp-Name", withHeader("Mcp-Name", "")},
		{"2026-07-28 with another Mcp-Name", withHeader("Mcp-Name", "get_task")},
		{"2026-07-28 with an Mcp-Param header", withHeader("Mcp-Param-Limit", "3")},
		{"2026-07-28 with an inbound session id", withHeader("Mcp-Session-Id", "abc")},
		{"2026-07-28 without _meta", exchange{header: current.header, body: callBody("52", "list_tasks", `{}`)}},
		{"2026-07-28 without the per-request version", withMeta(`{"io.modelcontextprotocol/clientCapabilities":{}}`)},
		{"2026-07-28 with another per-request version", withMeta(`{"io.modelcontextprotocol/protocolVersion":"2025-11-25","io.modelcontextprotocol/clientCapabilities":{}}`)},
		{"2026-07-28 without client capabilities", withMeta(`{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}`)},
		{"2026-07-28 with null client capabilities", withMeta(`{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":null}`)},
		{"2026-07-28 with client capabilities not an object", withMeta(`{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":[1]}`)},
		{"2026-07-28 with a malformed capability", withMeta(`{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{"sampling":5}}`)},
		{"2026-07-28 with malformed client info", withMeta(`{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{},"io.modelcontextprotocol/clientInfo":"me"}`)},
		{"2026-07-28 with null client info", withMeta(`{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{},"io.modelcontextprotocol/clientInfo":null}`)},
	}...)
	for _, c := range declined {
		before := len(e.answeredTools())
		e.compare(t, c.name, c.x, false)
		if len(e.answeredTools()) != before {
			t.Errorf("%s: the direct path answered a request it must leave to the SDK", c.name)
		}
	}
}

// TestRealClientCallsTakeTheDirectPath: the go-sdk client's ordinary
// tools/call, in the current protocol (2026-07-28, the client's default,
// with its per-request metadata and headers) and the legacy versions hosts
// still speak, is the request the direct path exists for; if a header or
// member the client sends made it decline, every call would pay the SDK's
// per-request cost again (docs/performance.md).
func TestRealClientCallsTakeTheDirectPath(t *testing.T) {
	var mu sync.Mutex
	var answered []string
	e := newEnv(t, func(d *mcpapi.Deps) {
		mcpapi.OnDirectCall(d, func(tool string) {
			mu.Lock()
			answered = append(answered, tool)
			mu.Unlock()
		})
	})
	user := e.newUser(t)
	for _, version := range []string{"2025-06-18", "2025-11-25", currentEra, ""} {
		mu.Lock()
		answered = nil
		mu.Unlock()
		c := mcp.NewClient(&mcp.Implementation{Name: "test", Version: "1"}, nil)
		s, err := c.Connect(context.Background(), &mcp.StreamableClientTransport{
			Endpoint:   e.srv.URL,
			HTTPClient: &http.Client{Transport: headerTransport{user: user, scopes: readWrite}},
			MaxRetries: -1, DisableStandaloneSSE: true,
		}, &mcp.ClientSessionOptions{ProtocolVersion: version})
		if err != nil {
			t.Fatal(err)
		}
		var created struct{ Task struct{ ID string } }
		callOK(t, s, "create_task", map[string]any{"title": "Through the direct path"}, &created)
		callOK(t, s, "get_task", map[string]any{"id": created.Task.ID}, nil)
		callOK(t, s, "list_tasks", map[string]any{}, nil)
		_ = s.Close()
		want := []string{"create_task", "get_task", "list_tasks"}
		mu.Lock()
		if !reflect.DeepEqual(answered, want) {
			t.Errorf("protocol %q: the direct path answered %v, want %v", version, answered, want)
		}
		mu.Unlock()
	}
}

// FuzzDirectToolCallMatchesSDK: whatever the body, in the legacy era or
// as a 2026-07-28 request (its headers, Mcp-Name taken from the body), the
// direct path and the SDK agree on the status code and on whether the
// answer is a result (and its resultType), a tool error or a JSON-RPC
// error. (Bodies may write tasks, so the two answers can differ in ids;
// TestDirectToolCallMatchesSDK compares whole bodies.)
func FuzzDirectToolCallMatchesSDK(f *testing.F) {
	current := func(body string) string { return inEra(exchange{body: body}).body }
	for _, seed := range []string{
		callBody("1", "list_tasks", `{}`),
		callBody(`"x"`, "get_task", `{"id":"00000000-0000-0000-0000-000000000000"}`),
		callBody("2", "create_task", `{"title":"a","tags":["x"]}`),
		callBody("3", "search", `{"query":"'; DROP TABLE tasks; --"}`),
		callBody("4", "list_tasks", `{"cursor":"AAAA"}`),
		callBody("5", "nope", `{}`),
		`{"jsonrpc":"2.0","id":6,"method":"tools/call","params":{"name":"list_tasks","_meta":{"a":1}}}`,
		`{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"list_tasks","name":"get_task"}}`,
		`{"jsonrpc":"2.0","id":1e2,"method":"tools/call","params":{"name":"list_tasks"}}`,
		`[{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"list_tasks"}}]`,
	} {
		f.Add([]byte(seed), false)
		f.Add([]byte(current(seed)), true)
	}
	f.Add([]byte(`{"jsonrpc":"2.0","id":8,"method":"tools/call","params":{"name":"list_tasks","_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28",`+
		`"io.modelcontextprotocol/clientCapabilities":{"roots":{"listChanged":"yes"}},"io.modelcontextprotocol/clientInfo":{"name":1}}}}`), true)
	e := newPairEnv(f)
	f.Fuzz(func(t *testing.T, body []byte, current bool) {
		x := exchange{body: string(body)}
		if current {
			var msg struct {
				Params struct{ Name string } `json:"params"`
			}
			_ = json.Unmarshal(body, &msg)
			x.header = eraHeaders(currentEra, msg.Params.Name)
		}
		want, got := e.send(e.sdk, x), e.send(e.direct, x)
		if got.Code != want.Code {
			t.Fatalf("status %d, the SDK answers %d for %q", got.Code, want.Code, body)
		}
		if k, wk := answerKind(got.Body.Bytes()), answerKind(want.Body.Bytes()); k != wk {
			t.Fatalf("answer is %s, the SDK's is %s, for %q\n direct: %s\n    sdk: %s", k, wk, body,
				truncated(got.Body.String()), truncated(want.Body.String()))
		}
	})
}

func answerKind(body []byte) string {
	var msg struct {
		Result *struct {
			IsError    bool   `json:"isError"`
			ResultType string `json:"resultType"`
		} `json:"result"`
		Error *struct{ Code int } `json:"error"`
	}
	if json.Unmarshal(body, &msg) != nil {
		return "not one JSON-RPC message"
	}
	switch {
	case msg.Error != nil:
		return fmt.Sprintf("JSON-RPC error %d", msg.Error.Code)
	case msg.Result != nil && msg.Result.IsError:
		return "tool error, resultType " + msg.Result.ResultType
	case msg.Result != nil:
		return "result, resultType " + msg.Result.ResultType
	}
	return "neither result nor error"
}
