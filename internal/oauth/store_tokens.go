package oauth

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/taskbridge/taskbridge/internal/identity"
	"github.com/taskbridge/taskbridge/internal/postgres"
)

// lockFamily reads a refresh-token family and locks it for the rest of the
// transaction.
func lockFamily(ctx context.Context, tx postgres.Querier, id uuid.UUID) (*postgres.OAuthTokenFamily, error) {
	f, err := postgres.LockOAuthTokenFamily(ctx, tx, id)
	return f, notFound(err)
}

// activeGrant switches the transaction to the grant's user and reads the
// grant under row-level security; a revoked or missing grant (or a deleted
// user) is ErrNotFound.
func activeGrant(ctx context.Context, tx postgres.Querier, userID, grantID uuid.UUID) (*postgres.OAuthActiveGrant, error) {
	if err := postgres.SetUser(ctx, tx, userID); err != nil {
		return nil, err
	}
	g, err := postgres.ActiveOAuthGrant(ctx, tx, grantID)
	return g, notFound(err)
}

// activeGrantScopes is the scopes of the active grant (activeGrant).
func activeGrantScopes(ctx context.Context, tx postgres.Querier, userID, grantID uuid.UUID) ([]identity.Scope, error) {
	g, err := activeGrant(ctx, tx, userID, grantID)
	if err != nil {
		return nil, err
	}
	return scopesFromStrings(g.Scopes), nil
}

// insertToken adds a token of kind to family f.
func insertToken(ctx context.Context, tx postgres.Querier, kind string, hash []byte, f *postgres.OAuthTokenFamily, scopes []identity.Scope, audience string, now, expiresAt time.Time) error {
	return postgres.InsertOAuthToken(ctx, tx, &postgres.OAuthToken{
		Hash: hash, Kind: kind, FamilyID: f.ID, GrantID: f.GrantID, UserID: f.UserID, ClientID: f.ClientID,
		Scopes: scopeStrings(scopes), Audience: audience, CreatedAt: now, ExpiresAt: expiresAt,
	})
}

// issueAccessToken adds a short-lived access token to a family.
func (s *Server) issueAccessToken(ctx context.Context, tx postgres.Querier, f *postgres.OAuthTokenFamily, scopes []identity.Scope, audience string, now time.Time) (string, time.Time, error) {
	plain, hash := newSecret(prefixAccessToken)
	exp := now.Add(s.cfg.OAuth.AccessTokenTTL)
	err := insertToken(ctx, tx, "access", hash, f, scopes, audience, now, exp)
	return plain, exp, err
}

// issueRefreshToken adds a refresh token that expires after the idle
// lifetime or at the family's absolute end, whichever is first.
func (s *Server) issueRefreshToken(ctx context.Context, tx postgres.Querier, f *postgres.OAuthTokenFamily, scopes []identity.Scope, audience string, now time.Time) (string, []byte, error) {
	plain, hash := newSecret(prefixRefreshToken)
	exp := now.Add(s.cfg.OAuth.RefreshIdleTTL)
	if f.ExpiresAt.Before(exp) {
		exp = f.ExpiresAt
	}
	err := insertToken(ctx, tx, "refresh", hash, f, scopes, audience, now, exp)
	return plain, hash, err
}
