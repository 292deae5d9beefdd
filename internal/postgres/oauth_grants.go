package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// OAuthActiveGrant is an unrevoked grant of a user who still exists.
type OAuthActiveGrant struct {
	Scopes         []string
	ConsentVersion string
	LastUsedAt     *time.Time
}

// ActiveOAuthGrant reads a grant under the transaction user's row-level
// security; a revoked or missing grant, a deleted user's or another user's,
// is ErrNotFound.
func ActiveOAuthGrant(ctx context.Context, q Querier, grantID uuid.UUID) (*OAuthActiveGrant, error) {
	var g OAuthActiveGrant
	err := q.QueryRow(ctx, `SELECT g.scopes, g.consent_version, g.last_used_at FROM oauth_grants g JOIN users u ON u.id = g.user_id
		WHERE g.id = $1 AND g.revoked_at IS NULL`, grantID).Scan(&g.Scopes, &g.ConsentVersion, &g.LastUsedAt)
	if err != nil {
		return nil, fmt.Errorf("read grant: %w", err)
	}
	return &g, nil
}

// TouchOAuthGrant records use of a grant at most once a minute, so the
// Connected apps page can show "last used" without a write per request.
func TouchOAuthGrant(ctx context.Context, q Querier, grantID uuid.UUID, now time.Time) error {
	_, err := q.Exec(ctx, `UPDATE oauth_grants SET last_used_at = $2
		WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $3)`, grantID, now, now.Add(-time.Minute))
	if err != nil {
		return fmt.Errorf("touch grant: %w", err)
	}
	return nil
}

// OAuthGrantListing is one active grant with its client's name.
type OAuthGrantListing struct {
	ID         uuid.UUID
	ClientName string
	ClientID   string
	Scopes     []string
	CreatedAt  time.Time
	LastUsedAt *time.Time
}

// ListOAuthGrants returns the active grants the transaction's user may
// see, oldest first.
func ListOAuthGrants(ctx context.Context, q Querier) ([]OAuthGrantListing, error) {
	rows, err := q.Query(ctx, `SELECT g.id, c.client_name, g.client_id, g.scopes, g.created_at, g.last_used_at
		FROM oauth_grants g JOIN oauth_clients c ON c.client_id = g.client_id
		WHERE g.revoked_at IS NULL ORDER BY g.created_at, g.id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []OAuthGrantListing
	for rows.Next() {
		var g OAuthGrantListing
		if err := rows.Scan(&g.ID, &g.ClientName, &g.ClientID, &g.Scopes, &g.CreatedAt, &g.LastUsedAt); err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

// RevokeOAuthGrant ends an active grant with every token family and token
// under it, and returns the grant's client and scopes. A grant that is
// missing, already revoked or not the transaction user's is ErrNotFound.
func RevokeOAuthGrant(ctx context.Context, q Querier, grantID uuid.UUID, now time.Time) (clientID string, scopes []string, err error) {
	err = q.QueryRow(ctx, `UPDATE oauth_grants SET revoked_at = $2, updated_at = $2
		WHERE id = $1 AND revoked_at IS NULL RETURNING client_id, scopes`, grantID, now).Scan(&clientID, &scopes)
	if err != nil {
		return "", nil, fmt.Errorf("revoke grant: %w", err)
	}
	if _, err := q.Exec(ctx, `UPDATE oauth_token_families SET revoked_at = $2, revoke_reason = 'grant_revoked'
		WHERE grant_id = $1 AND revoked_at IS NULL`, grantID, now); err != nil {
		return "", nil, fmt.Errorf("revoke grant families: %w", err)
	}
	if _, err := q.Exec(ctx, `UPDATE oauth_tokens SET revoked_at = $2 WHERE grant_id = $1 AND revoked_at IS NULL`, grantID, now); err != nil {
		return "", nil, fmt.Errorf("revoke grant tokens: %w", err)
	}
	return clientID, scopes, nil
}
