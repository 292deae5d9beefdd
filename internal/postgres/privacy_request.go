package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// DeletionRequest is a stored deletion started by an app that waits for
// the user's confirmation on the account page (P6).
type DeletionRequest struct {
	RequestedAt time.Time
	ExpiresAt   time.Time
	Via         string // api or mcp
	ClientID    string // empty when no app is known
}

// SaveDeletionRequest records r as userID's pending deletion in tx, whose
// identity is userID. A user has at most one: a second replaces the first.
func SaveDeletionRequest(ctx context.Context, tx Querier, userID uuid.UUID, r DeletionRequest) error {
	_, err := tx.Exec(ctx, `
		INSERT INTO account_deletion_requests (user_id, requested_at, expires_at, via, client_id)
		VALUES ($1, $2, $3, $4, NULLIF($5, ''))
		ON CONFLICT (user_id) DO UPDATE SET requested_at = EXCLUDED.requested_at,
			expires_at = EXCLUDED.expires_at, via = EXCLUDED.via, client_id = EXCLUDED.client_id`,
		userID, r.RequestedAt, r.ExpiresAt, r.Via, r.ClientID)
	if err != nil {
		return fmt.Errorf("record deletion request: %w", err)
	}
	return nil
}

// PendingDeletionRequest returns userID's deletion request that has not
// expired at now, or ErrNotFound.
func PendingDeletionRequest(ctx context.Context, tx Querier, userID uuid.UUID, now time.Time) (DeletionRequest, error) {
	var r DeletionRequest
	var client *string
	err := tx.QueryRow(ctx, `SELECT requested_at, expires_at, via, client_id FROM account_deletion_requests
		WHERE user_id = $1 AND expires_at > $2`, userID, now).Scan(&r.RequestedAt, &r.ExpiresAt, &r.Via, &client)
	if err != nil {
		return DeletionRequest{}, err
	}
	if client != nil {
		r.ClientID = *client
	}
	return r, nil
}
