package privacy

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

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
	stored := postgres.DeletionRequest{RequestedAt: r.RequestedAt, ExpiresAt: r.ExpiresAt, Via: via, ClientID: clientID}
	if err := postgres.SaveDeletionRequest(ctx, tx, userID, stored); err != nil {
		return DeletionRequest{}, err
	}
	return r, nil
}

// PendingDeletion returns the user's unexpired deletion request, if any.
func (s *Service) PendingDeletion(ctx context.Context, userID uuid.UUID) (*DeletionRequest, error) {
	var stored postgres.DeletionRequest
	err := s.db.InUserTx(ctx, userID, func(tx postgres.Querier) error {
		var err error
		stored, err = postgres.PendingDeletionRequest(ctx, tx, userID, s.now())
		return err
	})
	if errors.Is(err, postgres.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read deletion request: %w", err)
	}
	return &DeletionRequest{RequestedAt: stored.RequestedAt, ExpiresAt: stored.ExpiresAt, Via: stored.Via,
		ClientID: stored.ClientID, ConfirmURL: s.ConfirmDeletionURL()}, nil
}

// RequestDeletion is StartDeletion for the MCP tool (mcpapi.AccountDeletion).
func (s *Service) RequestDeletion(ctx context.Context, tx postgres.Querier, userID uuid.UUID, clientID string) (string, time.Time, error) {
	r, err := s.StartDeletion(ctx, tx, userID, "mcp", clientID)
	return r.ConfirmURL, r.ExpiresAt, err
}
