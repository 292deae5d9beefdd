package mcpapi

import (
	"context"

	"github.com/google/uuid"

	"github.com/taskbridge/taskbridge/internal/audit"
	"github.com/taskbridge/taskbridge/internal/postgres"
)

// Every tool call leaves one "tool.call" audit row (L4): user, client,
// tool, outcome, request id and an argument summary of counts, task ids and
// field names. Never titles, notes, tags or queries (L3). A call's effect
// and its success row are written in the same transaction, so they commit
// or roll back together; a failed call gets a failure row in a transaction
// of its own (the call's lifecycle is in toolcall.go). That includes the
// calls refused before a handler runs: missing scope (scope.go, denied),
// arguments that do not decode (addtool.go) and unknown tool names
// (scope.go, recorded under the fixed name "unknown").

const (
	eventToolCall = "tool.call"
	eventFlagged  = "content.flagged"
	maxAuditIDs   = 25
)

func (c *call) event(typ string, outcome audit.Outcome, detail map[string]any) audit.Event {
	return audit.Event{Type: typ, Outcome: outcome, ActorID: c.principal.UserID, ClientID: c.principal.ClientID,
		RequestID: c.requestID, Detail: detail}
}

// flag scans user-written fields and appends one content.flagged event
// through q (the effect's transaction, or its deferred view) when something
// looks like an injection attempt. It never blocks.
func (s *service) flag(ctx context.Context, q postgres.Execer, c *call, taskID uuid.UUID, fields map[string]string) error {
	var kinds, names []string
	for name, raw := range fields {
		if k := scanText(s.patterns, raw); len(k) > 0 {
			kinds = mergeKinds(kinds, k...)
			names = mergeKinds(names, name)
		}
	}
	if len(kinds) == 0 {
		return nil
	}
	c.flags = mergeKinds(c.flags, kinds...)
	return s.appendAudit(ctx, q, c.event(eventFlagged, audit.OutcomeFlagged, map[string]any{
		"tool": c.tool, "task_id": taskID.String(), "kinds": kinds, "fields": names,
	}))
}

func idStrings(ids []uuid.UUID) []string {
	if len(ids) > maxAuditIDs {
		ids = ids[:maxAuditIDs]
	}
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = id.String()
	}
	return out
}
