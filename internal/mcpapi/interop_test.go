package mcpapi_test

import (
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"
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

// TestArgumentErrorsNameTheFieldInPlainWords: for every tool in
// tools/list and every argument it takes (and every field of the objects
// in an array argument), a value of the wrong JSON type is refused with a
// tool error that names the argument and says what it must be, without
// the decoder's Go vocabulary, on both call paths.
func TestArgumentErrorsNameTheFieldInPlainWords(t *testing.T) {
	onBothPaths(t, testArgumentErrorsNameTheFieldInPlainWords)
}

func testArgumentErrorsNameTheFieldInPlainWords(t *testing.T, protocol string) {
	e := newEnv(t)
	e.protocol = protocol
	s := e.client(t, e.newUser(t), readWrite)
	list, err := s.ListTools(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	sent := 0
	for _, tool := range list.Tools {
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

func testListLimitZeroIsRefused(t *testing.T, protocol string) {
	e := newEnv(t)
	e.protocol = protocol
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
