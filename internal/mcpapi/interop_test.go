package mcpapi_test

import (
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"

	"github.com/google/jsonschema-go/jsonschema"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// schemaProp is the part of a JSON schema the wrong-type test reads.
type schemaProp struct {
	Type       string                `json:"type"`
	Items      *schemaProp           `json:"items"`
	Properties map[string]schemaProp `json:"properties"`
}

// wrongValues are JSON values of another type than the schema's.
func wrongValues(p schemaProp) []any {
	switch p.Type {
	case "string":
		return []any{7, true, []any{"x"}}
	case "integer", "number":
		return []any{"seven", 1.5, map[string]any{}}
	case "boolean":
		return []any{"yes", 1}
	case "array":
		out := []any{"x", map[string]any{"a": 1}}
		if p.Items != nil && p.Items.Type == "string" {
			out = append(out, []any{7})
		}
		return out
	}
	return []any{7, "x"}
}

// goInternals are words of encoding/json's own messages and of Go type
// names that mean nothing to a host or a model.
var goInternals = []string{"Go struct", "Go value", "unmarshal", "int64", "float64", "json:", "[]string", "Input", "of type", "struct"}

// connectAndList connects a read-write client on one call path and lists
// the tools it is shown.
func connectAndList(t *testing.T, via path) (*mcp.ClientSession, []*mcp.Tool) {
	t.Helper()
	e := newEnv(t)
	e.use(via)
	s := e.client(t, e.newUser(t), readWrite)
	list, err := s.ListTools(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return s, list.Tools
}

// TestArgumentErrorsNameTheFieldInPlainWords: for every tool in
// tools/list and every argument it takes (and every field of the objects
// in an array argument), a value of the wrong JSON type is refused with a
// tool error that names the argument and says what it must be, without
// the decoder's Go vocabulary, on both call paths.
func TestArgumentErrorsNameTheFieldInPlainWords(t *testing.T) {
	onBothPaths(t, testArgumentErrorsNameTheFieldInPlainWords)
}

func testArgumentErrorsNameTheFieldInPlainWords(t *testing.T, via path) {
	s, tools := connectAndList(t, via)
	sent := 0
	for _, tool := range tools {
		raw, _ := json.Marshal(tool.InputSchema)
		var schema schemaProp
		if err := json.Unmarshal(raw, &schema); err != nil {
			t.Fatal(err)
		}
		type probe struct {
			field string
			args  map[string]any
		}
		var probes []probe
		for name, p := range schema.Properties {
			for _, v := range wrongValues(p) {
				probes = append(probes, probe{name, map[string]any{name: v}})
			}
			if p.Type == "array" && p.Items != nil {
				for sub, sp := range p.Items.Properties {
					for _, v := range wrongValues(sp) {
						probes = append(probes, probe{name + "." + sub, map[string]any{name: []any{map[string]any{sub: v}}}})
					}
				}
			}
		}
		for _, pr := range probes {
			sent++
			msg := callErr(t, s, tool.Name, pr.args)
			if !strings.Contains(msg, "argument "+pr.field+" must be ") {
				t.Errorf("%s %v: %q does not name the argument %s and what it must be", tool.Name, pr.args, msg, pr.field)
			}
			for _, word := range goInternals {
				if strings.Contains(msg, word) {
					t.Errorf("%s %v: %q quotes Go internals (%q)", tool.Name, pr.args, msg, word)
				}
			}
		}
	}
	if sent < 50 {
		t.Fatalf("only %d wrong-type calls sent; the tools/list walk missed arguments", sent)
	}
	for _, c := range []struct {
		tool string
		args any
		want string
	}{
		{"get_task", map[string]any{"id": "x", "owner": "y"}, `"owner" is not an argument of this tool`},
		{"create_task", []any{"title"}, "the arguments must be a JSON object"},
	} {
		if msg := callErr(t, s, c.tool, c.args); !strings.Contains(msg, c.want) {
			t.Errorf("%s %v: %q, want %q", c.tool, c.args, msg, c.want)
		}
	}
}

// TestListLimitZeroIsRefused: the schema says limit is 1 to 100; 0 is
// refused like 101, and leaving it out is the default page.
func TestListLimitZeroIsRefused(t *testing.T) { onBothPaths(t, testListLimitZeroIsRefused) }

func testListLimitZeroIsRefused(t *testing.T, via path) {
	e := newEnv(t)
	e.use(via)
	s := e.client(t, e.newUser(t), readWrite)
	for _, limit := range []int{0, -1, 101} {
		if msg := callErr(t, s, "list_tasks", map[string]any{"limit": limit}); !strings.Contains(msg, "limit must be between 1 and 100") {
			t.Errorf("limit %d: %q", limit, msg)
		}
	}
	callOK(t, s, "list_tasks", map[string]any{"limit": 1}, nil)
	callOK(t, s, "list_tasks", map[string]any{}, nil)
}

// TestSchemasUseNoTypeArrays: MCP Inspector's strict mode warns on
// "type": ["string", "null"]; no input or output schema in tools/list has
// a type that is an array.
func TestSchemasUseNoTypeArrays(t *testing.T) {
	e := newEnv(t)
	resp := rawCall(t, e, e.newUser(t), readWrite, "tools/list", map[string]any{})
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var doc any
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatalf("tools/list: %s", body)
	}
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, c := range v {
				if _, isArray := c.([]any); isArray && k == "type" {
					t.Errorf("%s.type is %v", path, c)
				}
				walk(path+"."+k, c)
			}
		case []any:
			for _, c := range v {
				walk(path+"[]", c)
			}
		}
	}
	walk("result", doc)
}

// TestStructuredContentMatchesOutputSchema: with the type arrays gone, an
// output that held null where the schema says array or object would be
// invalid. Every tool's structuredContent, for tasks with and without tags
// and due dates and for batches with a failed item (no task), validates
// against the outputSchema tools/list publishes.
func TestStructuredContentMatchesOutputSchema(t *testing.T) {
	onBothPaths(t, testStructuredContentMatchesOutputSchema)
}

func testStructuredContentMatchesOutputSchema(t *testing.T, via path) {
	s, tools := connectAndList(t, via)
	schemas := map[string]*jsonschema.Resolved{}
	for _, tool := range tools {
		if tool.OutputSchema == nil {
			continue
		}
		raw, _ := json.Marshal(tool.OutputSchema)
		var schema jsonschema.Schema
		if err := json.Unmarshal(raw, &schema); err != nil {
			t.Fatal(err)
		}
		var err error
		if schemas[tool.Name], err = schema.Resolve(nil); err != nil {
			t.Fatalf("%s: %v", tool.Name, err)
		}
	}
	bare := create(t, s, map[string]any{"title": "bare"})
	full := create(t, s, map[string]any{"title": "full", "notes": "n", "tags": []string{"a"}, "due_date": "2030-01-02", "priority": "high"})
	calls := []struct {
		tool string
		args map[string]any
	}{
		{"list_tasks", map[string]any{}},
		{"get_task", map[string]any{"id": bare.ID}},
		{"search", map[string]any{"query": "bare"}},
		{"fetch", map[string]any{"id": full.ID}},
		{"show_task_board", map[string]any{}},
		{"update_task", map[string]any{"id": bare.ID, "priority": "low"}},
		{"complete_task", map[string]any{"id": bare.ID}},
		{"reopen_task", map[string]any{"id": bare.ID}},
		{"create_tasks", map[string]any{"items": []any{map[string]any{"title": "ok"}, map[string]any{"title": "bad", "due_date": "2030-13-40"}}}},
		{"complete_tasks", map[string]any{"ids": []string{full.ID, "00000000-0000-4000-8000-000000000001"}}},
		{"delete_task", map[string]any{"id": bare.ID}},
		{"show_task_board", map[string]any{"view": "trash"}},
		{"restore_task", map[string]any{"id": bare.ID}},
	}
	for _, c := range calls {
		res := callOK(t, s, c.tool, c.args, nil)
		schema := schemas[c.tool]
		if schema == nil {
			t.Fatalf("%s publishes no outputSchema", c.tool)
		}
		raw, _ := json.Marshal(res.StructuredContent)
		var instance any
		if err := json.Unmarshal(raw, &instance); err != nil {
			t.Fatal(err)
		}
		if err := schema.Validate(instance); err != nil {
			t.Errorf("%s %v: structuredContent %s does not match the outputSchema: %v", c.tool, c.args, raw, err)
		}
	}
}
