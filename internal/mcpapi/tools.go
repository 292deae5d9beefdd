package mcpapi

import (
	"fmt"

	"github.com/google/jsonschema-go/jsonschema"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/taskbridge/taskbridge/internal/identity"
)

// toolSpec is everything the descriptor and the scope check need to know
// about one tool. The descriptions say what the tool is for and what it
// must not be used for (I2); the tools/list golden test pins them.
type toolSpec struct {
	name, title, description string
	scope                    identity.Scope
	readOnly                 bool
	destructive              bool
	idempotent               bool
	invoking, invoked        string // <= 64 characters each
	// widget: the widget may call the tool (openai/widgetAccessible).
	widget bool
	// appOnly: hidden from the model; only the widget may call it.
	appOnly bool
	// template: the result renders the task board.
	template bool
	// profile: the tool names the signed-in account (openai/profile).
	profile bool
	// userData: the result carries user-written text, so its text content
	// is prefixed with userDataNote and fenced (results.go dataText).
	userData bool
	input    *jsonschema.Schema
}

func boolPtr(b bool) *bool { return &b }

// register records spec for the scope middleware and returns the tool
// descriptor. A tool's scope must be one the authorization server grants
// for this resource (identity's scope table), or no token could call it.
func (s *service) register(sp toolSpec) *mcp.Tool {
	if d, ok := identity.LookupScope(sp.scope); !ok || d.Resource != identity.ResourceMCP {
		panic(fmt.Sprintf("tool %s requires %q, which is no MCP resource scope of identity's scope table", sp.name, sp.scope))
	}
	s.specs[sp.name] = sp
	schemes := []map[string]any{{"type": "oauth2", "scopes": []string{string(sp.scope)}}}
	meta := mcp.Meta{
		// The Apps SDK reads per-tool auth from top-level securitySchemes,
		// which mcp.Tool has no field for: httpLayer copies this mirror to
		// the top level of each tools/list entry (scope.go).
		"securitySchemes":                schemes,
		"openai/toolInvocation/invoking": sp.invoking,
		"openai/toolInvocation/invoked":  sp.invoked,
	}
	ui := map[string]any{}
	if sp.template {
		ui["resourceUri"] = s.widget
		meta["openai/outputTemplate"] = s.widget
	}
	switch {
	case sp.appOnly:
		ui["visibility"] = []string{"app"}
		meta["openai/widgetAccessible"] = true
		meta["openai/visibility"] = "private"
	case sp.widget:
		ui["visibility"] = []string{"model", "app"}
		meta["openai/widgetAccessible"] = true
	}
	if len(ui) > 0 {
		meta["ui"] = ui
	}
	if sp.profile {
		meta["openai/profile"] = true
	}
	return &mcp.Tool{
		Name:        sp.name,
		Title:       sp.title,
		Description: sp.description,
		InputSchema: sp.input,
		Annotations: &mcp.ToolAnnotations{
			Title:           sp.title,
			ReadOnlyHint:    sp.readOnly,
			DestructiveHint: boolPtr(sp.destructive),
			IdempotentHint:  sp.idempotent,
			// Every tool stays inside the user's own task list.
			OpenWorldHint: boolPtr(false),
		},
		Meta: meta,
	}
}

func readSpec(name, title, desc, invoking, invoked string, in *jsonschema.Schema) toolSpec {
	return toolSpec{name: name, title: title, description: desc, scope: identity.ScopeTasksRead,
		readOnly: true, idempotent: true, invoking: invoking, invoked: invoked, input: in}
}

func writeSpec(name, title, desc, invoking, invoked string, in *jsonschema.Schema) toolSpec {
	return toolSpec{name: name, title: title, description: desc, scope: identity.ScopeTasksWrite,
		invoking: invoking, invoked: invoked, input: in}
}
