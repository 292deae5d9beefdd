package oauth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/taskbridge/taskbridge/internal/identity"
	"github.com/taskbridge/taskbridge/internal/postgres"
)

// family is a refresh-token family row, locked for the rest of the
// transaction that read it.
type family struct {
	ID        uuid.UUID
	GrantID   uuid.UUID
	UserID    uuid.UUID
	ClientID  string
	ExpiresAt time.Time
	RevokedAt *time.Time
}

func lockFamily(ctx context.Context, tx postgres.Querier, id uuid.UUID) (*family, error) {
	var f family
	err := tx.QueryRow(ctx, `SELECT id, grant_id, user_id, client_id, expires_at, revoked_at
		FROM oauth_token_families WHERE id = $1 FOR UPDATE`, id).
		Scan(&f.ID, &f.GrantID, &f.UserID, &f.ClientID, &f.ExpiresAt, &f.RevokedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("lock token family: %w", err)
	}
	return &f, nil
}

// revokeFamily ends every token of a family.
func revokeFamily(ctx context.Context, tx postgres.Querier, id uuid.UUID, reason string, now time.Time) error {
	if _, err := tx.Exec(ctx, `UPDATE oauth_token_families SET revoked_at = $2, revoke_reason = $3
		WHERE id = $1 AND revoked_at IS NULL`, id, now, reason); err != nil {
		return fmt.Errorf("revoke token family: %w", err)
	}
	if _, err := tx.Exec(ctx, `UPDATE oauth_tokens SET revoked_at = $2 WHERE family_id = $1 AND revoked_at IS NULL`, id, now); err != nil {
		return fmt.Errorf("revoke family tokens: %w", err)
	}
	return nil
}

// activeGrantScopes switches the transaction to the grant's user and reads
// the grant under row-level security; a revoked or missing grant (or a
// deleted user) is ErrNotFound.
func activeGrantScopes(ctx context.Context, tx postgres.Querier, userID, grantID uuid.UUID) ([]identity.Scope, error) {
	if err := postgres.SetUser(ctx, tx, userID); err != nil {
		return nil, err
	}
	var scopes []string
	err := tx.QueryRow(ctx, `SELECT g.scopes FROM oauth_grants g JOIN users u ON u.id = g.user_id
		WHERE g.id = $1 AND g.revoked_at IS NULL`, grantID).Scan(&scopes)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("read grant: %w", err)
	}
	return scopesFromStrings(scopes), nil
}

type tokenRow struct {
	Kind      string
	Hash      []byte
	Family    *family
	Scopes    []identity.Scope
	Audience  string
	ExpiresAt time.Time
	CreatedAt time.Time
}

func insertToken(ctx context.Context, tx postgres.Querier, t tokenRow) error {
	_, err := tx.Exec(ctx, `INSERT INTO oauth_tokens (token_hash, kind, family_id, grant_id, user_id, client_id,
			scopes, audience, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		t.Hash, t.Kind, t.Family.ID, t.Family.GrantID, t.Family.UserID, t.Family.ClientID,
		scopeStrings(t.Scopes), t.Audience, t.CreatedAt, t.ExpiresAt)
	if err != nil {
		return fmt.Errorf("insert %s token: %w", t.Kind, err)
	}
	return nil
}

// issueAccessToken adds a short-lived access token to a family.
func (s *Server) issueAccessToken(ctx context.Context, tx postgres.Querier, f *family, scopes []identity.Scope, audience string, now time.Time) (string, time.Time, error) {
	plain, hash := newSecret(prefixAccessToken)
	exp := now.Add(s.cfg.OAuth.AccessTokenTTL)
	err := insertToken(ctx, tx, tokenRow{Kind: "access", Hash: hash, Family: f, Scopes: scopes, Audience: audience, CreatedAt: now, ExpiresAt: exp})
	return plain, exp, err
}

// issueRefreshToken adds a refresh token that expires after the idle
// lifetime or at the family's absolute end, whichever is first.
func (s *Server) issueRefreshToken(ctx context.Context, tx postgres.Querier, f *family, scopes []identity.Scope, audience string, now time.Time) (string, []byte, error) {
	plain, hash := newSecret(prefixRefreshToken)
	exp := now.Add(s.cfg.OAuth.RefreshIdleTTL)
	if f.ExpiresAt.Before(exp) {
		exp = f.ExpiresAt
	}
	err := insertToken(ctx, tx, tokenRow{Kind: "refresh", Hash: hash, Family: f, Scopes: scopes, Audience: audience, CreatedAt: now, ExpiresAt: exp})
	return plain, hash, err
}

// touchGrant records use of a grant at most once a minute, so the
// Connected apps page can show "last used" without a write per request.
func touchGrant(ctx context.Context, tx postgres.Querier, grantID uuid.UUID, now time.Time) error {
	_, err := tx.Exec(ctx, `UPDATE oauth_grants SET last_used_at = $2
		WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $3)`, grantID, now, now.Add(-time.Minute))
	if err != nil {
		return fmt.Errorf("touch grant: %w", err)
	}
	return nil
}
