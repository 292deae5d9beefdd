package mcpapi_test

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/taskbridge/taskbridge/internal/identity"
)

// TestEveryToolIsScopedAuditedAndListedOnlyWithItsScope (A3, P8, L4)
// enumerates the tools a connection with every resource scope sees, so a
// tool a fork adds is covered without editing this test (the fork drill in
// dev/forkdrill proves it). Each tool declares exactly one scope, one of
// identity.ResourceScopes, and every resource scope has a tool; a token
// without the tool's scope does not see it in tools/list and is refused the
// call with the insufficient_scope challenge; a token with only that scope
// sees it; and every call, refused or not, leaves exactly one tool.call
// audit row naming the tool. On both call paths.
func TestEveryToolIsScopedAuditedAndListedOnlyWithItsScope(t *testing.T) {
	onBothPaths(t, testEveryToolIsScopedAuditedAndListedOnlyWithItsScope)
}

func testEveryToolIsScopedAuditedAndListedOnlyWithItsScope(t *testing.T, via path) {
	e := newEnv(t)
	e.use(via)
	u := e.newUser(t)
	resource := identity.ResourceScopes()
	scopeOf := map[string]identity.Scope{}
	for _, tool := range listed(t, e.client(t, u, resource)) {
		s, err := declaredScope(tool)
		if err != nil {
			t.Errorf("%s: %s", tool.Name, err)
			continue
		}
		if !slices.Contains(resource, s) {
			t.Errorf("%s requires %q, which is not one of identity.ResourceScopes %v", tool.Name, s, resource)
		}
		scopeOf[tool.Name] = s
	}
	for _, s := range resource {
		if !slices.Contains(slices.Collect(maps.Values(scopeOf)), s) {
			t.Errorf("no tool requires the resource scope %q: a connection would be asked for a permission nothing uses", s)
		}
	}
	for name, s := range scopeOf {
		without := slices.DeleteFunc(slices.Clone(resource), func(v identity.Scope) bool { return v == s })
		lacking := e.client(t, u, without)
		if slices.ContainsFunc(listed(t, lacking), func(tool *mcp.Tool) bool { return tool.Name == name }) {
			t.Errorf("%s is listed to a token without %s", name, s)
		}
		res := callAudited(t, lacking, u, name, "denied")
		ch, _ := res.Meta["mcp/www_authenticate"].([]any)
		if !res.IsError || len(ch) != 1 || !strings.Contains(ch[0].(string), `scope="`+string(s)+`"`) {
			t.Errorf("%s without %s: isError=%v challenge %v; want the insufficient_scope challenge naming %s", name, s, res.IsError, ch, s)
		}
		only := e.client(t, u, []identity.Scope{s})
		for _, tool := range listed(t, only) {
			if scopeOf[tool.Name] != s {
				t.Errorf("a token with only %s sees %s, which requires %s", s, tool.Name, scopeOf[tool.Name])
			}
		}
		if !slices.ContainsFunc(listed(t, only), func(tool *mcp.Tool) bool { return tool.Name == name }) {
			t.Errorf("%s is not listed to a token with only %s", name, s)
		}
		callAudited(t, only, u, name, "")
	}
}

// callAudited calls tool with no arguments (refused or answered, whatever
// the tool makes of that) and checks the call left exactly one tool.call
// row naming the tool and the caller, with outcome when it is not "".
func callAudited(t *testing.T, s *mcp.ClientSession, user uuid.UUID, tool, outcome string) *mcp.CallToolResult {
	t.Helper()
	before := len(auditRows(t))
	res := call(t, s, tool, map[string]any{})
	rows := auditRows(t)[before:]
	// Only this user's rows: a row another test's request finishes writing
	// after that test ended (an audit append outlives a cancelled request)
	// may land between the two reads.
	subject := testAudit.Subject(user)
	var calls []auditRow
	for _, r := range rows {
		if r.Type == "tool.call" && r.Actor != nil && *r.Actor == subject {
			calls = append(calls, r)
		}
	}
	if len(calls) != 1 {
		t.Errorf("%s: %d tool.call audit rows for one call: %+v", tool, len(calls), rows)
		return res
	}
	r := calls[0]
	if r.Detail["tool"] != tool || (outcome != "" && r.Outcome != outcome) {
		t.Errorf("%s: audit row %+v, want the tool, the caller and outcome %q", tool, r, outcome)
	}
	return res
}

func listed(t *testing.T, s *mcp.ClientSession) []*mcp.Tool {
	t.Helper()
	res, err := s.ListTools(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return res.Tools
}

// declaredScope reads the one scope a tool's securitySchemes mirror names.
func declaredScope(tool *mcp.Tool) (identity.Scope, error) {
	schemes, _ := tool.Meta["securitySchemes"].([]any)
	if len(schemes) != 1 {
		return "", fmt.Errorf("securitySchemes %v, want exactly one oauth2 scheme", tool.Meta["securitySchemes"])
	}
	scheme, _ := schemes[0].(map[string]any)
	scopes, _ := scheme["scopes"].([]any)
	if len(scopes) != 1 {
		return "", fmt.Errorf("scopes %v, want exactly one", scheme["scopes"])
	}
	s, _ := scopes[0].(string)
	return identity.Scope(s), nil
}
