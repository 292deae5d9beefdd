package mcpapi

import (
	"context"
	"errors"
	"log/slog"

	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/taskbridge/taskbridge/internal/audit"
	"github.com/taskbridge/taskbridge/internal/identity"
	"github.com/taskbridge/taskbridge/internal/logging"
	"github.com/taskbridge/taskbridge/internal/postgres"
)

// The lifecycle of a tool call: addTool begins it under the tool's name
// (begin), the handler runs its effect in the caller's transaction with the
// success audit row (effect, effectTx), and the outcome is settled: counted,
// or recorded as a failure (settle, failed). A call that changes nothing
// leaves its row through record. What each row holds is in audit.go.

// call is one tool invocation in progress.
type call struct {
	tool      string
	request   *mcp.CallToolRequest // nil for calls audited without a handler (refusals before it runs)
	principal identity.Principal
	requestID string
	flags     []string // injection kinds flagged during the call
}

// begin starts the call of the tool named tool (its spec's name: addTool
// passes it) answering req.
func (s *service) begin(ctx context.Context, req *mcp.CallToolRequest, tool string) (*call, error) {
	p, err := principalOf(ctx, tokenInfo(req))
	if err != nil {
		// The HTTP layer refuses unauthenticated requests before this point.
		return nil, refuse("not authenticated")
	}
	return &call{tool: tool, request: req, principal: p, requestID: logging.RequestID(ctx)}, nil
}

func tokenInfo(req mcp.Request) *auth.TokenInfo {
	if req == nil || req.GetExtra() == nil {
		return nil
	}
	return req.GetExtra().TokenInfo
}

// effect runs fn in the caller's row-level-security transaction and appends
// the success audit row in the same transaction. The transaction is
// pipelined (postgres.InUserPipeline): its opening travels with fn's first
// statement, and the audit rows (deferred through tx.Deferred()) travel with
// COMMIT, so a one-statement tool costs two round trips. Audit rows fn
// writes (flag) go through tx.Deferred() too.
func (s *service) effect(ctx context.Context, c *call, fn func(tx *postgres.PipelineTx, detail map[string]any) error) error {
	detail := map[string]any{"tool": c.tool}
	err := s.DB.InUserPipeline(ctx, c.principal.UserID, func(tx *postgres.PipelineTx) error {
		if err := fn(tx, detail); err != nil {
			return err
		}
		detail["outcome"] = string(audit.OutcomeSuccess)
		return s.appendAudit(ctx, tx.Deferred(), c.event(eventToolCall, audit.OutcomeSuccess, detail))
	})
	return s.settle(ctx, c, err, detail)
}

// effectTx is effect in a plain transaction (postgres.InUserTx), for
// the tools that need what the pipelined one does not offer: savepoints
// (batch tools) or a postgres.Querier for another package (account deletion). They
// are rare, and pay the four round trips.
func (s *service) effectTx(ctx context.Context, c *call, fn func(tx postgres.Querier, detail map[string]any) error) error {
	detail := map[string]any{"tool": c.tool}
	err := s.DB.InUserTx(ctx, c.principal.UserID, func(tx postgres.Querier) error {
		if err := fn(tx, detail); err != nil {
			return err
		}
		detail["outcome"] = string(audit.OutcomeSuccess)
		return s.appendAudit(ctx, tx, c.event(eventToolCall, audit.OutcomeSuccess, detail))
	})
	return s.settle(ctx, c, err, detail)
}

// settle counts a committed effect or records its failure.
func (s *service) settle(ctx context.Context, c *call, err error, detail map[string]any) error {
	if err != nil {
		return s.failed(ctx, c, err, detail)
	}
	s.Metrics.ToolCall(c.tool, string(audit.OutcomeSuccess))
	for _, k := range c.flags {
		s.Metrics.InjectionFlag(k)
	}
	return nil
}

// failed records a refused or failed call and returns the error to show.
// Refusals the caller can act on keep their text; anything else becomes a
// generic message with the request id (no internals leak, O2) and is
// logged in full.
func (s *service) failed(ctx context.Context, c *call, err error, detail map[string]any) error {
	if postgres.IsUnavailable(err) || postgres.DeadlinePassed(ctx, err) {
		// No failure row: the database that would hold it is the thing that
		// failed, and waiting for it would hold the request past its
		// deadline. The log keeps the record; the client gets 503.
		markUnavailable(ctx)
		s.Log.WarnContext(ctx, "tool call: database unavailable", slog.String("tool", c.tool), slog.Any("err", err))
		s.Metrics.ToolCall(c.tool, "unavailable")
		return refuse("the service cannot reach its database right now; nothing was changed; retry shortly (request id %s)", c.requestID)
	}
	outcome := audit.OutcomeFailure
	var dn *denial
	if errors.As(err, &dn) {
		outcome, detail = audit.OutcomeDenied, withReason(detail, dn.reason)
	}
	err = asToolError(err)
	var te *toolError
	if !errors.As(err, &te) {
		outcome = audit.OutcomeError
		s.Log.ErrorContext(ctx, "tool call failed", slog.String("tool", c.tool), slog.Any("err", err))
		err = refuse("the server could not complete this request; nothing was changed (request id %s)", c.requestID)
	}
	s.record(ctx, c, outcome, detail)
	return err
}

// denial is a refusal on security grounds found inside an effect's
// transaction (a purge confirmation that does not match the row): the
// transaction rolls back and the call is audited as denied with reason,
// not as a failure. The caller sees err's text.
type denial struct {
	reason string
	err    *toolError
}

func (d *denial) Error() string { return d.err.Error() }
func (d *denial) Unwrap() error { return d.err }

func withReason(detail map[string]any, reason string) map[string]any {
	d := make(map[string]any, len(detail)+1)
	for k, v := range detail {
		d[k] = v
	}
	d["reason"] = reason
	return d
}

// record writes a standalone audit row for a call that made no change. The
// row is the transaction's only statement, deferred to the commit, so the
// whole transaction (opening, insert, COMMIT) is one round trip.
func (s *service) record(ctx context.Context, c *call, outcome audit.Outcome, detail map[string]any) {
	d := map[string]any{"tool": c.tool}
	for k, v := range detail {
		d[k] = v
	}
	d["outcome"] = string(outcome)
	err := s.DB.InUserPipeline(context.WithoutCancel(ctx), c.principal.UserID, func(tx *postgres.PipelineTx) error {
		return s.appendAudit(ctx, tx.Deferred(), c.event(eventToolCall, outcome, d))
	})
	if err != nil {
		s.Log.ErrorContext(ctx, "audit append failed", slog.String("tool", c.tool), slog.Any("err", err))
	}
	s.Metrics.ToolCall(c.tool, string(outcome))
}
