package mcpapi

import (
	"context"

	"github.com/google/uuid"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/taskbridge/taskbridge/internal/audit"
	"github.com/taskbridge/taskbridge/internal/postgres"
)

// widgetProvenanceKey is the request _meta key ChatGPT adds to calls made
// from a mounted widget. With Deps.RequireWidgetProvenance a purge_task call
// without it is refused; without that option the confirmation token alone
// decides (it is sufficient: the model never sees _meta). Both settings are
// safe; the option adds a second, host-provided signal where a host gives
// one.
const widgetProvenanceKey = "openai/widgetSessionId"

func (s *service) addPurgeTool(srv *mcp.Server) {
	purge := writeSpec("purge_task", "Delete a task permanently",
		"Permanently delete one task that is already in the trash. Callable only from the task board, after "+
			"the user confirms there; it needs a confirmation only the board receives. A model cannot use it: "+
			"to remove a task use delete_task, which moves it to the trash.",
		"Deleting permanently…", "Task deleted permanently", purgeSchema())
	purge.destructive, purge.idempotent, purge.appOnly, purge.template = true, true, true, true
	addTool(s, srv, purge, s.purgeTask)
}

func (s *service) purgeTask(ctx context.Context, c *call, in purgeInput) (*mcp.CallToolResult, purgeOut, error) {
	id, err := parseID("id", in.ID)
	if err != nil {
		return nil, purgeOut{}, s.failed(ctx, c, err, map[string]any{"invalid": "id"})
	}
	detail := map[string]any{"task_ids": idStrings([]uuid.UUID{id})}
	if s.RequireWidgetProvenance && !fromWidget(c.request) {
		detail["reason"] = "no_widget_provenance"
		s.record(ctx, c, audit.OutcomeDenied, detail)
		return nil, purgeOut{}, errBadConfirmationTool
	}
	// The form and the expiry are checked first, without the database; the
	// MAC needs the row's deleted_at, so it is checked in the transaction
	// that deletes, with the row locked (purge.go).
	tok, err := s.purge.parse(in.Confirmation)
	if err != nil {
		detail["reason"] = "bad_confirmation"
		s.record(ctx, c, audit.OutcomeDenied, detail)
		return nil, purgeOut{}, errBadConfirmationTool
	}
	err = s.effect(ctx, c, func(tx *postgres.PipelineTx, d map[string]any) error {
		d["task_ids"] = idStrings([]uuid.UUID{id})
		deletedAt, err := postgres.LockTrashedAt(ctx, tx, id)
		if err != nil {
			return err
		}
		// A live task has no valid confirmation: any token for it was issued
		// for an earlier trashing, since undone.
		if deletedAt == nil || s.purge.check(c.principal.UserID, id, *deletedAt, tok) != nil {
			return &denial{reason: "bad_confirmation", err: errBadConfirmationTool}
		}
		d["confirmed"] = true
		return s.Tasks.Purge(ctx, tx, id)
	})
	if err != nil {
		return nil, purgeOut{}, err
	}
	out := purgeOut{ID: id.String(), Purged: true}
	return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "The task was deleted permanently."}}}, out, nil
}

var errBadConfirmationTool = &toolError{msg: errBadConfirmation.Error()}

func fromWidget(req *mcp.CallToolRequest) bool {
	if req == nil || req.Params == nil {
		return false
	}
	v, ok := req.Params.Meta[widgetProvenanceKey].(string)
	return ok && v != ""
}
