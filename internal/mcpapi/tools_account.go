package mcpapi

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/taskbridge/taskbridge/internal/postgres"
)

// AccountDeletion starts an account deletion that only the human can
// finish (internal/privacy implements it): it records the request in tx
// and returns the account page where the user confirms with their password.
type AccountDeletion interface {
	RequestDeletion(ctx context.Context, tx postgres.Querier, userID uuid.UUID, clientID string) (confirmURL string, expiresAt time.Time, err error)
}

type noInput struct{}

type deletionResult struct {
	Status     string `json:"status"`
	ConfirmURL string `json:"confirm_url"`
	ExpiresAt  string `json:"expires_at"`
	Message    string `json:"message"`
}

// addAccountTools registers request_account_deletion when Deps has an
// AccountDeletion. The tool deletes nothing (P6): erasure needs the user's
// password on the account page, which neither the model nor the app has,
// so the tool can only hand the user a link. It goes through addTool like
// every other tool: the same descriptor treatment, strict argument
// decoding, audit of undecodable calls, and the direct call path.
func (s *service) addAccountTools(srv *mcp.Server) {
	if s.AccountDeletion == nil {
		return
	}
	sp := writeSpec("request_account_deletion", "Request deletion of the user's account",
		"Start deleting the user's whole taskbridge account, only when the user explicitly asks to delete their account "+
			"(not a task). It deletes nothing by itself: it returns a link to the account page, where the user must "+
			"confirm with their password. Give the user that link; never claim the account is deleted.",
		"Requesting account deletion…", "Deletion requested: confirm on the account page", mustSchema[noInput](nil))
	sp.idempotent = true
	addTool(s, srv, sp, s.requestAccountDeletion)
}

func (s *service) requestAccountDeletion(ctx context.Context, c *call, _ noInput) (*mcp.CallToolResult, deletionResult, error) {
	var out deletionResult
	err := s.effectTx(ctx, c, func(tx postgres.Querier, _ map[string]any) error {
		url, exp, err := s.AccountDeletion.RequestDeletion(ctx, tx, c.principal.UserID, c.principal.ClientID)
		if err != nil {
			return err
		}
		out = deletionResult{Status: "pending_confirmation", ConfirmURL: url, ExpiresAt: exp.UTC().Format(time.RFC3339),
			Message: "Nothing has been deleted. The user must open confirm_url and confirm with their password before expires_at."}
		return nil
	})
	if err != nil {
		return nil, deletionResult{}, err
	}
	return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: out.Message + " Link: " + out.ConfirmURL}}}, out, nil
}
