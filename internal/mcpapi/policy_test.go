package mcpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/taskbridge/taskbridge/internal/identity"
	"github.com/taskbridge/taskbridge/internal/mcpapi"
)

// The per-call policy (policy.go) answers on both call paths, in both
// protocol eras, with a result a strict client of that era accepts. The
// go-sdk client is not strict (it reads a missing resultType as
// "complete"), so these tests post raw JSON-RPC and check each answer
// against the era's result schema themselves, the way the TypeScript SDK
// v2 client does.

const currentEra = "2026-07-28"

// eraHeaders are the headers a client of protocol sends with a tools/call
// of tool: in 2026-07-28 also Mcp-Method and Mcp-Name.
func eraHeaders(protocol, tool string) http.Header {
	h := http.Header{
		"Content-Type":         {"application/json"},
		"Accept":               {"application/json, text/event-stream"},
		"Mcp-Protocol-Version": {protocol},
	}
	if protocol >= currentEra {
		h.Set("Mcp-Method", "tools/call")
		h.Set("Mcp-Name", tool)
	}
	return h
}

// eraMeta is the per-request _meta a client of protocol sends (none
// before 2026-07-28).
func eraMeta(protocol string) map[string]any {
	if protocol < currentEra {
		return nil
	}
	return map[string]any{
		mcp.MetaKeyProtocolVersion:    protocol,
		mcp.MetaKeyClientCapabilities: map[string]any{"elicitation": map[string]any{}},
		mcp.MetaKeyClientInfo:         map[string]any{"name": "strict-client", "version": "2.4.0"},
	}
}

// inEra rewrites x, a legacy (2025-06-18) exchange, into what a
// 2026-07-28 client sends: the per-request _meta merged into params, and
// the era's headers. Bodies that are not a JSON object with object params
// keep their bytes.
func inEra(x exchange) exchange {
	var msg map[string]any
	dec := json.NewDecoder(strings.NewReader(x.body))
	dec.UseNumber()
	tool := ""
	if dec.Decode(&msg) == nil {
		if params, ok := msg["params"].(map[string]any); ok {
			meta, _ := params["_meta"].(map[string]any)
			if meta == nil {
				meta = map[string]any{}
			}
			for k, v := range eraMeta(currentEra) {
				meta[k] = v
			}
			params["_meta"] = meta
			tool, _ = params["name"].(string)
			if raw, err := json.Marshal(msg); err == nil {
				x.body = string(raw)
			}
		}
	}
	x.header = eraHeaders(currentEra, tool)
	return x
}

// checkStrictAnswer fails unless body is one JSON-RPC response whose
// result, if any, is a valid CallToolResult of protocol: content blocks
// with their required fields, an object structuredContent, a boolean
// isError, and, in 2026-07-28, the required resultType ("complete" or
// "input_required") and serverInfo in _meta; before it, no resultType.
func checkStrictAnswer(t testing.TB, what, protocol string, body []byte) {
	t.Helper()
	var msg struct {
		JSONRPC string                     `json:"jsonrpc"`
		ID      json.RawMessage            `json:"id"`
		Result  map[string]json.RawMessage `json:"result"`
		Error   *struct {
			Code    *int    `json:"code"`
			Message *string `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal(body, &msg); err != nil || msg.JSONRPC != "2.0" || len(msg.ID) == 0 {
		t.Fatalf("%s: not one JSON-RPC response: %s", what, truncated(string(body)))
	}
	if msg.Error != nil {
		if msg.Result != nil || msg.Error.Code == nil || msg.Error.Message == nil {
			t.Fatalf("%s: malformed JSON-RPC error: %s", what, truncated(string(body)))
		}
		return
	}
	r := msg.Result
	if r == nil {
		t.Fatalf("%s: neither result nor error: %s", what, truncated(string(body)))
	}
	fail := func(format string, args ...any) {
		t.Helper()
		t.Fatalf("%s (%s): %s\nresult: %s", what, protocol, fmt.Sprintf(format, args...), truncated(string(body)))
	}
	rt, hasType := r["resultType"]
	switch {
	case protocol >= currentEra && !hasType:
		fail("missing required resultType")
	case protocol >= currentEra && string(rt) != `"complete"` && string(rt) != `"input_required"`:
		fail("resultType %s", rt)
	case protocol < currentEra && hasType:
		fail("resultType in a legacy result")
	}
	if string(rt) == `"input_required"` {
		return
	}
	var content []map[string]json.RawMessage
	if json.Unmarshal(r["content"], &content) != nil || content == nil {
		fail("content must be an array")
	}
	for i, c := range content {
		var typ string
		if json.Unmarshal(c["type"], &typ) != nil {
			fail("content[%d] without a type", i)
		}
		var text string
		if typ == "text" && json.Unmarshal(c["text"], &text) != nil {
			fail("text content[%d] without text", i)
		}
	}
	if sc, ok := r["structuredContent"]; ok {
		var obj map[string]any
		if json.Unmarshal(sc, &obj) != nil || obj == nil {
			fail("structuredContent must be an object")
		}
	}
	if e, ok := r["isError"]; ok {
		var b bool
		if json.Unmarshal(e, &b) != nil {
			fail("isError must be a boolean")
		}
	}
	var meta map[string]json.RawMessage
	if m, ok := r["_meta"]; ok && json.Unmarshal(m, &meta) != nil {
		fail("_meta must be an object")
	}
	if protocol >= currentEra {
		var info struct{ Name, Version string }
		if json.Unmarshal(meta[mcp.MetaKeyServerInfo], &info) != nil || info.Name == "" || info.Version == "" {
			fail("no serverInfo in _meta")
		}
	}
}

// postEra posts a tools/call of tool as a client of protocol would, through
// e's server on the given path, and returns the status and body (0 and
// nil, with the test marked failed, when no answer came).
func postEra(t *testing.T, e *env, via path, user uuid.UUID, scopes []identity.Scope, tool string, args any) (int, []byte) {
	t.Helper()
	params := map[string]any{"name": tool, "arguments": args}
	if meta := eraMeta(via.protocol); meta != nil {
		params["_meta"] = meta
	}
	body, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": params})
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL, bytes.NewReader(body))
	req.Header = eraHeaders(via.protocol, tool)
	req.Header.Set(userHeader, user.String())
	req.Header.Set(scopesHeader, identity.JoinScopes(scopes))
	if via.sdk {
		req.Header.Set(pathHeader, "sdk")
	}
	// t.Error, not t.Fatal: holdUserSlot calls this from a goroutine.
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Error(err)
		return 0, nil
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Error(err)
		return 0, nil
	}
	return resp.StatusCode, raw
}

// TestPolicyRefusalsAreValidResultsOfTheEra: a read-only connection calling
// a write tool gets the insufficient_scope tool error with its re-link
// challenge, on both paths and in both eras, as a result a strict client
// of the era accepts (in 2026-07-28: with resultType). So does a call
// refused for want of a slot. Each refusal leaves its audit row.
func TestPolicyRefusalsAreValidResultsOfTheEra(t *testing.T) {
	onBothPaths(t, func(t *testing.T, via path) {
		e := newEnv(t)
		u := e.newUser(t)
		status, body := postEra(t, e, via, u, readOnly, "create_task", map[string]any{"title": "should not exist"})
		if status != http.StatusOK {
			t.Fatalf("status %d: %s", status, body)
		}
		checkStrictAnswer(t, "scope refusal", via.protocol, body)
		var msg struct {
			Result struct {
				IsError bool
				Meta    map[string]any `json:"_meta"`
			}
		}
		if err := json.Unmarshal(body, &msg); err != nil || !msg.Result.IsError || msg.Result.Meta["mcp/www_authenticate"] == nil {
			t.Fatalf("want the insufficient_scope tool error with its challenge: %s", body)
		}
		if rows := auditRows(t); len(rows) != 1 || rows[0].Outcome != "denied" {
			t.Fatalf("audit rows %+v, want one denied row", rows)
		}
		status, body = postEra(t, e, via, u, readWrite, "list_tasks", map[string]any{})
		if status != http.StatusOK {
			t.Fatalf("status %d: %s", status, body)
		}
		checkStrictAnswer(t, "list_tasks", via.protocol, body)
	})
}

// TestRateLimitRefusalIsAValidResultOfTheEra: a 2026-07-28 call that
// finds no free slot of its user (policy.go, limits.go) is refused with
// the rate-limit tool error as a valid result of the era, on both paths.
// The first call holds the user's only slot: it waits inside its handler
// for a row lock the test holds.
func TestRateLimitRefusalIsAValidResultOfTheEra(t *testing.T) {
	for _, via := range []path{{protocol: currentEra}, {protocol: currentEra, sdk: true}} {
		t.Run(fmt.Sprintf("sdk=%v", via.sdk), func(t *testing.T) {
			e := newEnv(t, func(d *mcpapi.Deps) { d.Limits.ConcurrentCallsPerUser = 1 })
			u := e.newUser(t)
			free := holdUserSlot(t, e, via, u)
			status, body := postEra(t, e, via, u, readWrite, "list_tasks", map[string]any{})
			if status != http.StatusOK || !strings.Contains(string(body), "rate limited") {
				t.Fatalf("status %d: %s, want the rate-limit tool error", status, body)
			}
			checkStrictAnswer(t, "rate-limit refusal", via.protocol, body)
			free()
		})
	}
}

// countingMiddleware counts the requests it sees, by method and tool.
type countingMiddleware struct {
	mu   sync.Mutex
	seen []string
}

func (c *countingMiddleware) middleware(next mcp.MethodHandler) mcp.MethodHandler {
	return func(ctx context.Context, method string, req mcp.Request) (mcp.Result, error) {
		what := method
		if p, ok := req.GetParams().(*mcp.CallToolParamsRaw); ok {
			what += " " + p.Name
		}
		c.mu.Lock()
		c.seen = append(c.seen, what)
		c.mu.Unlock()
		if what == "tools/call delete_task" {
			// A middleware may answer itself: a forker's policy.
			return nil, &jsonrpc.Error{Code: jsonrpc.CodeInvalidParams, Message: "deleting is switched off here"}
		}
		return next(ctx, method, req)
	}
}

func (c *countingMiddleware) calls() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, s := range c.seen {
		if strings.HasPrefix(s, "tools/call") {
			out = append(out, s)
		}
	}
	return out
}

// TestMiddlewareSeesEveryToolCall: receiving middleware a forker adds
// (Deps.Middleware) sees every tools/call, on both paths and in both
// eras, the refused ones included, and what it answers is what the client
// gets.
func TestMiddlewareSeesEveryToolCall(t *testing.T) {
	onBothPaths(t, func(t *testing.T, via path) {
		counter := &countingMiddleware{}
		var direct []string
		e := newEnv(t, func(d *mcpapi.Deps) {
			d.Middleware = []mcp.Middleware{counter.middleware}
			mcpapi.OnDirectCall(d, func(tool string) { direct = append(direct, tool) })
		})
		e.use(via)
		u := e.newUser(t)
		s := e.client(t, u, readWrite)
		var created struct{ Task struct{ ID string } }
		callOK(t, s, "create_task", map[string]any{"title": "seen"}, &created)
		callOK(t, s, "list_tasks", map[string]any{}, nil)
		callErr(t, e.client(t, u, readOnly), "complete_task", map[string]any{"id": created.Task.ID})
		if _, err := s.CallTool(context.Background(), &mcp.CallToolParams{Name: "delete_task",
			Arguments: map[string]any{"id": created.Task.ID}}); err == nil || !strings.Contains(err.Error(), "switched off") {
			t.Fatalf("the middleware's refusal did not reach the client: %v", err)
		}
		want := []string{"tools/call create_task", "tools/call list_tasks", "tools/call complete_task", "tools/call delete_task"}
		if got := counter.calls(); strings.Join(got, ",") != strings.Join(want, ",") {
			t.Fatalf("the middleware saw %v, want %v", got, want)
		}
		if !via.sdk && len(direct) != len(want) {
			t.Fatalf("the direct path answered %v, want all %d calls (else this test proves nothing about it)", direct, len(want))
		}
		var l listJSON
		callOK(t, s, "list_tasks", map[string]any{}, &l)
		if l.Count != 1 {
			t.Fatal("the task the middleware kept from deletion is gone")
		}
	})
}

// TestUnknownToolAuditTakesTheCallersSlot: a call to a tool that does not
// exist writes its audit row under the caller's slots like any call
// (I8): with the user's only slot held by a call stuck in the database, it
// is still answered "unknown tool", counted as rate limited, and writes no
// row, so a flood of unknown names cannot take the pool either.
func TestUnknownToolAuditTakesTheCallersSlot(t *testing.T) {
	metrics := &recordingMetrics{flags: map[string]int{}, calls: map[string]int{}}
	e := newEnv(t, func(d *mcpapi.Deps) {
		d.Limits.ConcurrentCallsPerUser = 1
		d.Metrics = metrics
	})
	u := e.newUser(t)
	via := path{protocol: currentEra}
	free := holdUserSlot(t, e, via, u)
	status, body := postEra(t, e, via, u, readWrite, "no_such_tool", map[string]any{})
	if !strings.Contains(string(body), "unknown tool") {
		t.Fatalf("status %d: %s, want the unknown-tool error", status, body)
	}
	metrics.mu.Lock()
	limited := metrics.calls["unknown/rate_limited"]
	metrics.mu.Unlock()
	if limited != 1 {
		t.Fatalf("unknown/rate_limited counted %d times, want 1 (%v)", limited, metrics.calls)
	}
	if rows := auditRows(t); len(rows) != 0 {
		t.Fatalf("audit rows %+v written while the caller had no free slot", rows)
	}
	free()
}

// holdUserSlot starts a create_task of user u that takes u's slot and then
// waits in the database for a lock the test holds on u's row, and returns
// once it waits there. The returned function lets it finish.
func holdUserSlot(t *testing.T, e *env, via path, u uuid.UUID) (free func()) {
	t.Helper()
	ctx := context.Background()
	lock, err := tdb.Admin(t).Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = lock.Rollback(ctx) })
	if _, err := lock.Exec(ctx, `SELECT 1 FROM users WHERE id = $1 FOR UPDATE`, u); err != nil {
		t.Fatal(err)
	}
	held := make(chan struct{})
	go func() {
		defer close(held)
		postEra(t, e, via, u, readWrite, "create_task", map[string]any{"title": "holds the slot"})
	}()
	for deadline := time.Now().Add(30 * time.Second); lockWaiters(t, ctx) < 1; {
		if time.Now().After(deadline) {
			t.Fatal("the held call never reached the database")
		}
		time.Sleep(5 * time.Millisecond) // polling for the state, not waiting for it to happen
	}
	return func() {
		if err := lock.Rollback(ctx); err != nil {
			t.Error(err)
		}
		<-held
	}
}
