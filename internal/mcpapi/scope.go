package mcpapi

import (
	"context"
	"fmt"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/taskbridge/taskbridge/internal/audit"
	"github.com/taskbridge/taskbridge/internal/identity"
	"github.com/taskbridge/taskbridge/internal/logging"
)

// Scopes are decided here, on the server, for every call (A3, P8), from the
// principal's granted scopes and the tool's declared scope, whatever the
// client or the model claims. Tools the token cannot use are left out of
// tools/list, and a call to one is refused by the per-call policy
// (policy.go) before the tool runs, as a tool error (no zero-valued structuredContent) carrying the challenge
// ChatGPT uses to offer re-linking with more scopes:
//
//	_meta["mcp/www_authenticate"] = Bearer error="insufficient_scope", scope="tasks.write", resource_metadata="...", error_description="..."
//
// The HTTP 403 form of the same challenge is in http.go. The middleware
// below filters tools/list and audits calls to unknown tools; the scope of
// a call is checked in policy.go, which both call paths run.

func (s *service) scopeMiddleware(next mcp.MethodHandler) mcp.MethodHandler {
	return func(ctx context.Context, method string, req mcp.Request) (mcp.Result, error) {
		switch method {
		case "tools/list":
			res, err := next(ctx, method, req)
			if err != nil {
				return res, err
			}
			lr, ok := res.(*mcp.ListToolsResult)
			if !ok {
				return res, nil
			}
			p, perr := principalOf(ctx, tokenInfo(req))
			visible := make([]*mcp.Tool, 0, len(lr.Tools))
			for _, t := range lr.Tools {
				if sp, known := s.specs[t.Name]; perr == nil && known && p.Has(sp.scope) {
					visible = append(visible, t)
				}
			}
			lr.Tools = visible
			return lr, nil
		case "tools/call":
			params, ok := req.GetParams().(*mcp.CallToolParamsRaw)
			if !ok {
				break
			}
			if _, known := s.specs[params.Name]; !known {
				s.recordUnknownTool(ctx, req)
			}
		}
		return next(ctx, method, req)
	}
}

func (s *service) recordDenied(ctx context.Context, p identity.Principal, sp toolSpec) {
	c := &call{tool: sp.name, principal: p, requestID: logging.RequestID(ctx)}
	s.record(ctx, c, audit.OutcomeDenied, map[string]any{"reason": "insufficient_scope", "required_scope": string(sp.scope)})
}

// unknownToolName is what the audit row and the metric of a call to a tool
// that does not exist name as its tool: the name the caller sent is its own
// free text (it may be anything, up to the body limit), so it is stored
// nowhere.
const unknownToolName = "unknown"

// recordUnknownTool audits a tools/call naming no tool of this server (L4).
// Every such call reaches here, on either path: the direct path leaves
// unknown names to the SDK (fastcall.go). There is no handler, so no
// per-call policy: the row is written under the caller's slots like a
// call's (limits.go), or, with none free in time, not at all (logged and
// counted as rate limited); the SDK answers "unknown tool" either way.
func (s *service) recordUnknownTool(ctx context.Context, req mcp.Request) {
	p, err := principalOf(ctx, tokenInfo(req))
	if err != nil {
		return // no caller to record; the HTTP layer refuses these anyway
	}
	release, ok := s.admitCall(ctx, p, unknownToolName)
	if !ok {
		return
	}
	defer release()
	c := &call{tool: unknownToolName, principal: p, requestID: logging.RequestID(ctx)}
	s.record(ctx, c, audit.OutcomeFailure, map[string]any{"reason": "unknown_tool"})
}

// challenge is the RFC 6750 insufficient_scope challenge for sp, naming
// every scope the operation needs in one go.
func (s *service) challenge(sp toolSpec) string {
	return fmt.Sprintf(`Bearer error="insufficient_scope", scope="%s", resource_metadata="%s", error_description="%s"`,
		sp.scope, s.ResourceMetadataURL, scopeDescription(sp))
}

func scopeDescription(sp toolSpec) string {
	return fmt.Sprintf("%s needs the %s permission, which this connection was not granted", sp.name, sp.scope)
}

func (s *service) insufficientScope(sp toolSpec) *mcp.CallToolResult {
	return &mcp.CallToolResult{
		IsError: true,
		Content: []mcp.Content{&mcp.TextContent{Text: scopeDescription(sp) +
			". Ask the user to reconnect taskbridge and allow it; do not retry with another tool."}},
		Meta: mcp.Meta{"mcp/www_authenticate": []string{s.challenge(sp)}},
	}
}
