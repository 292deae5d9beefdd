package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// OAuthTokenFamily is a refresh-token family: the tokens one code
// redemption started, revoked together.
type OAuthTokenFamily struct {
	ID        uuid.UUID
	GrantID   uuid.UUID
	UserID    uuid.UUID
	ClientID  string
	ExpiresAt time.Time
	RevokedAt *time.Time
}

// InsertOAuthTokenFamily stores a new family created at now.
func InsertOAuthTokenFamily(ctx context.Context, q Querier, f *OAuthTokenFamily, now time.Time) error {
	if _, err := q.Exec(ctx, `INSERT INTO oauth_token_families (id, grant_id, user_id, client_id, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6)`, f.ID, f.GrantID, f.UserID, f.ClientID, now, f.ExpiresAt); err != nil {
		return fmt.Errorf("insert token family: %w", err)
	}
	return nil
}

// LockOAuthTokenFamily reads a family and locks it for the rest of the
// transaction. An unknown family is ErrNotFound.
func LockOAuthTokenFamily(ctx context.Context, q Querier, id uuid.UUID) (*OAuthTokenFamily, error) {
	var f OAuthTokenFamily
	err := q.QueryRow(ctx, `SELECT id, grant_id, user_id, client_id, expires_at, revoked_at
		FROM oauth_token_families WHERE id = $1 FOR UPDATE`, id).
		Scan(&f.ID, &f.GrantID, &f.UserID, &f.ClientID, &f.ExpiresAt, &f.RevokedAt)
	if err != nil {
		return nil, fmt.Errorf("lock token family: %w", err)
	}
	return &f, nil
}

// RevokeOAuthTokenFamily ends a family and every token of it.
func RevokeOAuthTokenFamily(ctx context.Context, q Querier, id uuid.UUID, reason string, now time.Time) error {
	if _, err := q.Exec(ctx, `UPDATE oauth_token_families SET revoked_at = $2, revoke_reason = $3
		WHERE id = $1 AND revoked_at IS NULL`, id, now, reason); err != nil {
		return fmt.Errorf("revoke token family: %w", err)
	}
	if _, err := q.Exec(ctx, `UPDATE oauth_tokens SET revoked_at = $2 WHERE family_id = $1 AND revoked_at IS NULL`, id, now); err != nil {
		return fmt.Errorf("revoke family tokens: %w", err)
	}
	return nil
}

// OAuthToken is an access or refresh token, stored by the hash of its
// value.
type OAuthToken struct {
	Hash      []byte
	Kind      string // "access" or "refresh"
	FamilyID  uuid.UUID
	GrantID   uuid.UUID
	UserID    uuid.UUID
	ClientID  string
	Scopes    []string
	Audience  string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// InsertOAuthToken stores t.
func InsertOAuthToken(ctx context.Context, q Querier, t *OAuthToken) error {
	_, err := q.Exec(ctx, `INSERT INTO oauth_tokens (token_hash, kind, family_id, grant_id, user_id, client_id,
			scopes, audience, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		t.Hash, t.Kind, t.FamilyID, t.GrantID, t.UserID, t.ClientID,
		t.Scopes, t.Audience, t.CreatedAt, t.ExpiresAt)
	if err != nil {
		return fmt.Errorf("insert %s token: %w", t.Kind, err)
	}
	return nil
}

// OAuthBearerToken is what checking a presented access token needs: the
// token and the state of its family.
type OAuthBearerToken struct {
	Kind            string
	UserID          uuid.UUID
	ClientID        string
	GrantID         uuid.UUID
	Scopes          []string
	Audience        string
	ExpiresAt       time.Time
	RevokedAt       *time.Time
	FamilyExpiresAt time.Time
	FamilyRevokedAt *time.Time
}

// OAuthBearerTokenByHash reads the token whose value hashes to hash, of
// any kind. An unknown token is ErrNotFound.
func OAuthBearerTokenByHash(ctx context.Context, q Querier, hash []byte) (*OAuthBearerToken, error) {
	var t OAuthBearerToken
	err := q.QueryRow(ctx, `SELECT t.kind, t.user_id, t.client_id, t.grant_id, t.scopes, t.audience, t.expires_at,
			t.revoked_at, f.expires_at, f.revoked_at
		FROM oauth_tokens t JOIN oauth_token_families f ON f.id = t.family_id
		WHERE t.token_hash = $1`, hash).
		Scan(&t.Kind, &t.UserID, &t.ClientID, &t.GrantID, &t.Scopes, &t.Audience, &t.ExpiresAt, &t.RevokedAt,
			&t.FamilyExpiresAt, &t.FamilyRevokedAt)
	if err != nil {
		return nil, fmt.Errorf("look up access token: %w", err)
	}
	return &t, nil
}

// OAuthRefreshToken is a refresh token with its rotation state: the
// successor it was rotated to, kept sealed for the grace window.
type OAuthRefreshToken struct {
	ClientID        string
	Scopes          []string
	Audience        string
	ExpiresAt       time.Time
	RevokedAt       *time.Time
	RotatedAt       *time.Time
	SuccessorHash   []byte
	SuccessorSealed []byte
	SuccessorKeyID  *string
}

// OAuthRefreshTokenFamily returns the family of the refresh token whose
// value hashes to hash. An unknown refresh token is ErrNotFound.
func OAuthRefreshTokenFamily(ctx context.Context, q Querier, hash []byte) (uuid.UUID, error) {
	var familyID uuid.UUID
	err := q.QueryRow(ctx, `SELECT family_id FROM oauth_tokens WHERE token_hash = $1 AND kind = 'refresh'`, hash).Scan(&familyID)
	if err != nil {
		return uuid.Nil, fmt.Errorf("find refresh token: %w", err)
	}
	return familyID, nil
}

// ReadOAuthRefreshToken reads the refresh token whose value hashes to
// hash. An unknown refresh token is ErrNotFound.
func ReadOAuthRefreshToken(ctx context.Context, q Querier, hash []byte) (*OAuthRefreshToken, error) {
	var t OAuthRefreshToken
	err := q.QueryRow(ctx, `SELECT client_id, scopes, audience, expires_at, revoked_at, rotated_at,
			successor_hash, successor_sealed, successor_key_id
		FROM oauth_tokens WHERE token_hash = $1 AND kind = 'refresh'`, hash).
		Scan(&t.ClientID, &t.Scopes, &t.Audience, &t.ExpiresAt, &t.RevokedAt, &t.RotatedAt,
			&t.SuccessorHash, &t.SuccessorSealed, &t.SuccessorKeyID)
	if err != nil {
		return nil, fmt.Errorf("read refresh token: %w", err)
	}
	return &t, nil
}

// RotateOAuthRefreshToken marks the refresh token hash as rotated at now
// to successorHash, keeping the successor sealed (under keyID) for the
// grace window.
func RotateOAuthRefreshToken(ctx context.Context, q Querier, hash []byte, now time.Time, successorHash, sealed []byte, keyID string) error {
	if _, err := q.Exec(ctx, `UPDATE oauth_tokens SET rotated_at = $2, successor_hash = $3,
			successor_sealed = $4, successor_key_id = $5 WHERE token_hash = $1`,
		hash, now, successorHash, sealed, keyID); err != nil {
		return fmt.Errorf("rotate refresh token: %w", err)
	}
	return nil
}

// OAuthTokenOwner is whom a token was issued to.
type OAuthTokenOwner struct {
	Kind     string
	ClientID string
	UserID   uuid.UUID
	GrantID  uuid.UUID
}

// OAuthTokenOwnerByHash returns the owner of the token whose value hashes
// to hash. An unknown token is ErrNotFound.
func OAuthTokenOwnerByHash(ctx context.Context, q Querier, hash []byte) (*OAuthTokenOwner, error) {
	var o OAuthTokenOwner
	err := q.QueryRow(ctx, `SELECT kind, client_id, user_id, grant_id FROM oauth_tokens WHERE token_hash = $1`,
		hash).Scan(&o.Kind, &o.ClientID, &o.UserID, &o.GrantID)
	if err != nil {
		return nil, fmt.Errorf("find token: %w", err)
	}
	return &o, nil
}

// RevokeOAuthToken ends the one token whose value hashes to hash.
func RevokeOAuthToken(ctx context.Context, q Querier, hash []byte, now time.Time) error {
	if _, err := q.Exec(ctx, `UPDATE oauth_tokens SET revoked_at = $2 WHERE token_hash = $1 AND revoked_at IS NULL`, hash, now); err != nil {
		return fmt.Errorf("revoke access token: %w", err)
	}
	return nil
}

// PurgeExpiredOAuthTokens deletes token families past their absolute
// lifetime (with their tokens) or revoked over a day ago, tokens past their
// expiry, and erases the sealed refresh-token successors kept for the grace
// window once it has passed. Each erased copy counts as a removed row.
func (db *DB) PurgeExpiredOAuthTokens(ctx context.Context, now time.Time, grace time.Duration, limit int) (int64, error) {
	return db.purgeOAuthRows(ctx, "purge expired tokens",
		oauthPurgeStep{"families", `DELETE FROM oauth_token_families WHERE id IN (
			SELECT id FROM oauth_token_families
			WHERE expires_at <= $1 OR (revoked_at IS NOT NULL AND revoked_at <= $1 - interval '1 day')
			LIMIT $2 FOR UPDATE SKIP LOCKED)`, []any{now, limit}},
		oauthPurgeStep{"tokens", `DELETE FROM oauth_tokens WHERE token_hash IN (
			SELECT token_hash FROM oauth_tokens WHERE expires_at <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`, []any{now, limit}},
		oauthPurgeStep{"sealed successors", `UPDATE oauth_tokens SET successor_sealed = NULL, successor_key_id = NULL
			WHERE token_hash IN (SELECT token_hash FROM oauth_tokens
				WHERE successor_sealed IS NOT NULL AND rotated_at <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`, []any{now.Add(-grace), limit}})
}
