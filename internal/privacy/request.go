package privacy

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/taskbridge/taskbridge/internal/postgres"
)

// DeletionRequest is a deletion started by an app (API or MCP tool) that
// waits for the user to confirm it on the account page (P6).
type DeletionRequest struct {
	RequestedAt time.Time
	ExpiresAt   time.Time
	Via         string // api or mcp
	ClientID    string
	// ConfirmURL is the account page where the user finishes it.
	ConfirmURL string
}

// StartDeletion records a pending deletion of userID in tx (whose identity
// is userID) and returns where the user confirms it. It deletes nothing:
// an app, or a model driving one, cannot re-enter the user's password,
// which is what the confirmation asks for. A second request replaces the
// first (one per user).
func (s *Service) StartDeletion(ctx context.Context, tx postgres.Querier, userID uuid.UUID, via, clientID string) (DeletionRequest, error) {
	now := s.now().UTC().Truncate(time.Microsecond)
	r := DeletionRequest{RequestedAt: now, ExpiresAt: now.Add(s.reqTTL), Via: via, ClientID: clientID, ConfirmURL: s.ConfirmDeletionURL()}
	_, err := tx.Exec(ctx, `
		INSERT INTO account_deletion_requests (user_id, requested_at, expires_at, via, client_id)
		VALUES ($1, $2, $3, $4, NULLIF($5, ''))
		ON CONFLICT (user_id) DO UPDATE SET requested_at = EXCLUDED.requested_at,
			expires_at = EXCLUDED.expires_at, via = EXCLUDED.via, client_id = EXCLUDED.client_id`,
		userID, r.RequestedAt, r.ExpiresAt, via, clientID)
	if err != nil {
		return DeletionRequest{}, fmt.Errorf("record deletion request: %w", err)
	}
	return r, nil
}

// PendingDeletion returns the user's unexpired deletion request, if any.
func (s *Service) PendingDeletion(ctx context.Context, userID uuid.UUID) (*DeletionRequest, error) {
	var r DeletionRequest
	var client *string
	err := s.db.InUserTx(ctx, userID, func(tx postgres.Querier) error {
		return tx.QueryRow(ctx, `SELECT requested_at, expires_at, via, client_id FROM account_deletion_requests
			WHERE user_id = $1 AND expires_at > $2`, userID, s.now()).Scan(&r.RequestedAt, &r.ExpiresAt, &r.Via, &client)
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read deletion request: %w", err)
	}
	if client != nil {
		r.ClientID = *client
	}
	r.ConfirmURL = s.ConfirmDeletionURL()
	return &r, nil
}

// RequestDeletion is StartDeletion for the MCP tool (mcpapi.AccountDeletion).
func (s *Service) RequestDeletion(ctx context.Context, tx postgres.Querier, userID uuid.UUID, clientID string) (string, time.Time, error) {
	r, err := s.StartDeletion(ctx, tx, userID, "mcp", clientID)
	return r.ConfirmURL, r.ExpiresAt, err
}
