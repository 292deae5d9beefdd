package mcpapi

import (
	"context"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/taskbridge/taskbridge/internal/tracing"
)

// traced wraps a tool's handler, policy included, in a span named after
// the tool, a child of the HTTP request's span; or, when the call carries a
// _meta.traceparent (the 2026-07-28 way to carry trace context), which
// takes precedence for that call, a child of that one, linked to the HTTP
// request's span. Its attributes are the tool name, the outcome and the
// protocol version, never an argument, a user or a client. Without a
// Tracer the handler is returned as it is.
func (s *service) traced(tool string, h mcp.ToolHandler) mcp.ToolHandler {
	if s.Tracer == nil {
		return h
	}
	tracer := s.Tracer.Tracer(tracing.Name)
	name := "tools/call " + tool
	return func(ctx context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		var meta map[string]any
		if req.Params != nil {
			meta = req.Params.GetMeta()
		}
		start := []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindServer),
			trace.WithAttributes(attribute.String("mcp.method.name", "tools/call"), attribute.String("gen_ai.tool.name", tool))}
		if callCtx, ok := tracing.FromMeta(ctx, meta); ok {
			// The call joins the _meta trace; a link keeps the HTTP
			// request's span (another trace) reachable from it.
			start = append(start, trace.WithLinks(trace.LinkFromContext(ctx)))
			ctx = callCtx
		}
		ctx, span := tracer.Start(ctx, name, start...)
		defer span.End()
		if v := protocolVersion(req, meta); v != "" && directVersions[v] {
			// A known revision only: the value is the caller's.
			span.SetAttributes(attribute.String("mcp.protocol.version", v))
		}
		res, err := h(ctx, req)
		outcome := "ok"
		if err != nil || (res != nil && res.IsError) {
			outcome = "error"
			span.SetStatus(codes.Error, "tool error")
		}
		span.SetAttributes(attribute.String("taskbridge.tool.outcome", outcome))
		return res, err
	}
}

// protocolVersion is the call's _meta protocolVersion (2026-07-28) or its
// Mcp-Protocol-Version header (earlier revisions).
func protocolVersion(req *mcp.CallToolRequest, meta map[string]any) string {
	if v, ok := meta[mcp.MetaKeyProtocolVersion].(string); ok {
		return v
	}
	if req.Extra != nil && req.Extra.Header != nil {
		return req.Extra.Header.Get("Mcp-Protocol-Version")
	}
	return ""
}
