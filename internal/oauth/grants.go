package oauth

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/taskbridge/taskbridge/internal/audit"
	"github.com/taskbridge/taskbridge/internal/identity"
	"github.com/taskbridge/taskbridge/internal/logging"
	"github.com/taskbridge/taskbridge/internal/postgres"
)

// GrantView is one connection of an app on the user's account page (P7):
// each authorization has its own grant, so one app connected twice (two
// ChatGPT workspaces) is two GrantViews with the same ClientID.
type GrantView struct {
	ID         uuid.UUID
	ClientName string
	ClientID   string
	Scopes     []identity.Scope
	CreatedAt  time.Time
	LastUsedAt *time.Time
}

// ConsentRecord is one consent decision or revocation, as evidence (P4, C3).
type ConsentRecord struct {
	GrantID        *uuid.UUID
	ClientID       string
	ClientName     string
	Action         string // grant, deny or revoke
	Scopes         []identity.Scope
	ConsentVersion string
	OccurredAt     time.Time
}

// ListGrants lists the user's active grants (connections), oldest first.
func (s *Server) ListGrants(ctx context.Context, userID uuid.UUID) ([]GrantView, error) {
	var out []GrantView
	err := s.store.db.InUserTx(ctx, userID, func(tx postgres.Querier) error {
		grants, err := postgres.ListOAuthGrants(ctx, tx)
		if err != nil {
			return err
		}
		for _, g := range grants {
			out = append(out, GrantView{
				ID: g.ID, ClientName: g.ClientName, ClientID: g.ClientID, Scopes: scopesFromStrings(g.Scopes),
				CreatedAt: g.CreatedAt, LastUsedAt: g.LastUsedAt,
			})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list grants: %w", err)
	}
	return out, nil
}

// ListConsentRecords returns every consent decision and revocation of the
// user, oldest first.
func (s *Server) ListConsentRecords(ctx context.Context, userID uuid.UUID) ([]ConsentRecord, error) {
	var out []ConsentRecord
	err := s.store.db.InUserTx(ctx, userID, func(tx postgres.Querier) error {
		records, err := postgres.ListOAuthConsentRecords(ctx, tx)
		if err != nil {
			return err
		}
		for _, c := range records {
			out = append(out, ConsentRecord{
				GrantID: c.GrantID, ClientID: c.ClientID, ClientName: c.ClientName, Action: c.Action,
				Scopes: scopesFromStrings(c.Scopes), ConsentVersion: c.ConsentVersion, OccurredAt: c.OccurredAt,
			})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list consent records: %w", err)
	}
	return out, nil
}

// RevokeGrant disconnects one connection of an app: the grant and every
// token family under it end at once, so the next request with any of its
// tokens gets 401 (P7); the app's other connections are untouched. A grant
// of another user is ErrNotFound (row-level security).
func (s *Server) RevokeGrant(ctx context.Context, userID, grantID uuid.UUID) error {
	now := s.now().UTC()
	defer s.tokens.invalidate() // this replica honours the revocation at once
	return s.store.db.InUserTx(ctx, userID, func(tx postgres.Querier) error {
		return s.revokeGrant(ctx, tx, userID, grantID, "account_page", now)
	})
}

// revokeGrant runs in a transaction whose user is userID.
func (s *Server) revokeGrant(ctx context.Context, tx postgres.Querier, userID, grantID uuid.UUID, via string, now time.Time) error {
	clientID, scopes, err := postgres.RevokeOAuthGrant(ctx, tx, grantID, now)
	if err != nil {
		return notFound(err)
	}
	client, err := postgres.OAuthClientByID(ctx, tx, clientID)
	if err != nil {
		return notFound(err)
	}
	if err := insertConsentRecord(ctx, tx, userID, &grantID, client, "revoke", scopes, now); err != nil {
		return err
	}
	return s.audit.Append(ctx, tx, audit.Event{
		Type: "oauth.grant.revoke", Outcome: audit.OutcomeSuccess, ActorID: userID, ClientID: clientID,
		RequestID: logging.RequestID(ctx), Detail: map[string]any{"grant_id": grantID.String(), "via": via},
	})
}
