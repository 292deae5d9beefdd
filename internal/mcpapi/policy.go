package mcpapi

import (
	"context"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// The per-call policy. Everything a tools/call must pass before its tool
// runs is decided here, once, inside the registered tool handler (addTool
// wraps every tool with guard): the caller (A3), its work slots (limits.go,
// I8), its scopes with the audited refusal and re-link challenge (scope.go,
// P8, L4). Both call paths run that registered handler: the go-sdk's
// tools/call (through every receiving middleware, Deps.Middleware) and the
// direct path (fastcall.go, through the same middleware chain). So neither
// path can skip a check, and every refusal leaves the handler as an
// ordinary tool result: the SDK stamps it, like any result, with what the
// request's protocol era requires (resultType and serverInfo in
// 2026-07-28), and the direct path encodes it the same way. A refusal made
// before the handler, in a middleware, would bypass that stamping: a
// 2026-07-28 client rejects a result without resultType.
//
// What stays outside: the per-minute budget and the batch rules, which
// count HTTP requests and JSON-RPC messages rather than tool calls
// (admitRequest, before either path), the opt-in HTTP 403 form of the
// scope challenge (http.go, which answers before any JSON-RPC), and the
// audit of calls to tools that do not exist, which have no handler
// (scope.go, recordUnknownTool, under the same slots).

// guard wraps a tool's handler in the per-call policy.
func (s *service) guard(sp toolSpec, run mcp.ToolHandler) mcp.ToolHandler {
	return s.traced(sp.name, func(ctx context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		p, err := principalOf(ctx, tokenInfo(req))
		if err != nil {
			// The HTTP layer refuses unauthenticated requests before this.
			return toolErrorResult(errNoPrincipal.Error()), nil
		}
		// Slots first: the scope refusal below writes an audit row, which
		// takes a database connection the slots bound.
		release, ok := s.admitCall(ctx, p, sp.name)
		if !ok {
			return toolErrorResult(rateLimitedText), nil
		}
		defer release()
		if !p.Has(sp.scope) {
			s.recordDenied(ctx, p, sp)
			return s.insufficientScope(sp), nil
		}
		return run(ctx, req)
	})
}

func toolErrorResult(text string) *mcp.CallToolResult {
	return &mcp.CallToolResult{IsError: true, Content: []mcp.Content{&mcp.TextContent{Text: text}}}
}
