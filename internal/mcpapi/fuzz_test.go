package mcpapi_test

import (
	"encoding/json"
	"strings"
	"testing"
)

// FuzzMCPRequestBody posts arbitrary bytes as a JSON-RPC body to the real
// /mcp handler on the real database (as one signed-in user). Whatever the
// body, the answer is never a 5xx, a 200 is one well-formed JSON-RPC
// message, and no tool result hides a server fault.
func FuzzMCPRequestBody(f *testing.F) {
	for _, seed := range []string{
		`{"jsonrpc":"2.0","id":1,"method":"tools/list"}`,
		`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"list_tasks","arguments":{"limit":5}}}`,
		`{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"create_task","arguments":{"title":"a","tags":["x"],"due_date":"2026-01-01"}}}`,
		`{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"search","arguments":{"query":"'; DROP TABLE tasks; --"}}}`,
		`{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"get_task","arguments":{"id":"00000000-0000-0000-0000-000000000000"}}}`,
		`{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"list_tasks","arguments":{"cursor":"AAAA"}}}`,
		`[{"jsonrpc":"2.0","id":1,"method":"tools/list"},{"jsonrpc":"2.0","method":"notifications/initialized"}]`,
		`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"f","version":"1"}}}`,
		`[[[[[[[[[[`, `{"a":{"a":{"a":`, "\xff\xfe", `null`, ``,
	} {
		f.Add([]byte(seed))
	}
	e := newRawEnv(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		checkAnswer(t, "fuzzed body", e.post(body, false))
	})
}

// FuzzToolArguments sends well-formed tools/call requests whose argument
// values are fuzzed, so the inputs reach argument validation and the
// store: every tool either succeeds or refuses with a message; a database
// error caused by input (a NUL byte, an out-of-range date, an oversized
// value) would show up as a server fault and fail.
func FuzzToolArguments(f *testing.F) {
	tools := []string{"create_task", "update_task", "list_tasks", "search", "get_task", "complete_task",
		"delete_task", "restore_task", "create_tasks", "complete_tasks", "show_task_board", "fetch", "reopen_task", "purge_task"}
	f.Add(uint8(0), "title", "notes", "tag", "2026-01-02", "open", 10)
	f.Add(uint8(1), "'; DROP TABLE tasks; --", "\x00", "a.b-c_d", "9999-12-31", "done", 100)
	f.Add(uint8(2), "\u202e\u200b", strings.Repeat("n", 300), "UPPER", "0000-00-00", "trash", -1)
	f.Add(uint8(3), "%_\\", "$1", "x y", "2026-02-30", "live", 1<<30)
	f.Add(uint8(8), "a", "b", "", "", "", 0)
	e := newRawEnv(f)
	f.Fuzz(func(t *testing.T, tool uint8, title, notes, tag, date, word string, n int) {
		name := tools[int(tool)%len(tools)]
		var args map[string]any
		switch name {
		case "create_task":
			args = map[string]any{"title": title, "notes": notes, "tags": []string{tag}, "due_date": date, "priority": word}
		case "update_task":
			args = map[string]any{"id": title, "title": notes, "add_tags": []string{tag}, "due_date": date, "priority": word}
		case "list_tasks":
			args = map[string]any{"query": title, "tag": tag, "due_before": date, "status": word, "view": notes, "limit": n, "cursor": notes}
		case "search":
			args = map[string]any{"query": title}
		case "create_tasks":
			args = map[string]any{"items": []map[string]any{{"title": title, "notes": notes, "tags": []string{tag}}}}
		case "complete_tasks":
			args = map[string]any{"ids": []string{title, tag}}
		case "show_task_board":
			args = map[string]any{"status": word, "tag": tag, "view": notes}
		case "purge_task":
			args = map[string]any{"id": title, "confirmation": notes}
		default:
			args = map[string]any{"id": title}
		}
		raw, err := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": 1, "method": "tools/call",
			"params": map[string]any{"name": name, "arguments": args}})
		if err != nil {
			t.Skip()
		}
		checkAnswer(t, name, e.post(raw, false))
	})
}
