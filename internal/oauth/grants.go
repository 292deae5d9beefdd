package oauth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

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
		rows, err := tx.Query(ctx, `SELECT g.id, c.client_name, g.client_id, g.scopes, g.created_at, g.last_used_at
			FROM oauth_grants g JOIN oauth_clients c ON c.client_id = g.client_id
			WHERE g.revoked_at IS NULL ORDER BY g.created_at, g.id`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var g GrantView
			var scopes []string
			if err := rows.Scan(&g.ID, &g.ClientName, &g.ClientID, &scopes, &g.CreatedAt, &g.LastUsedAt); err != nil {
				return err
			}
			g.Scopes = scopesFromStrings(scopes)
			out = append(out, g)
		}
		return rows.Err()
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
		rows, err := tx.Query(ctx, `SELECT grant_id, client_id, client_name, action, scopes, consent_version, occurred_at
			FROM oauth_consent_records ORDER BY occurred_at, id`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var c ConsentRecord
			var scopes []string
			if err := rows.Scan(&c.GrantID, &c.ClientID, &c.ClientName, &c.Action, &scopes, &c.ConsentVersion, &c.OccurredAt); err != nil {
				return err
			}
			c.Scopes = scopesFromStrings(scopes)
			out = append(out, c)
		}
		return rows.Err()
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
	var clientID string
	var scopes []string
	err := tx.QueryRow(ctx, `UPDATE oauth_grants SET revoked_at = $2, updated_at = $2
		WHERE id = $1 AND revoked_at IS NULL RETURNING client_id, scopes`, grantID, now).Scan(&clientID, &scopes)
	if errors.Is(err, pgx.ErrNoRows) {
		return ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("revoke grant: %w", err)
	}
	if _, err := tx.Exec(ctx, `UPDATE oauth_token_families SET revoked_at = $2, revoke_reason = 'grant_revoked'
		WHERE grant_id = $1 AND revoked_at IS NULL`, grantID, now); err != nil {
		return fmt.Errorf("revoke grant families: %w", err)
	}
	if _, err := tx.Exec(ctx, `UPDATE oauth_tokens SET revoked_at = $2 WHERE grant_id = $1 AND revoked_at IS NULL`, grantID, now); err != nil {
		return fmt.Errorf("revoke grant tokens: %w", err)
	}
	client, err := scanClient(tx.QueryRow(ctx, `SELECT `+clientColumns+` FROM oauth_clients WHERE client_id = $1`, clientID))
	if err != nil {
		return err
	}
	if err := insertConsentRecord(ctx, tx, userID, &grantID, client, "revoke", scopes, ConsentVersion, now); err != nil {
		return err
	}
	return s.audit.Append(ctx, tx, audit.Event{
		Type: "oauth.grant.revoke", Outcome: audit.OutcomeSuccess, ActorID: userID, ClientID: clientID,
		RequestID: logging.RequestID(ctx), Detail: map[string]any{"grant_id": grantID.String(), "via": via},
	})
}
