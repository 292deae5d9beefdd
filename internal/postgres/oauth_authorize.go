package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// OAuthPendingRequest is a validated authorization request waiting for the
// user's decision on the consent page, keyed by the hash of its handle.
type OAuthPendingRequest struct {
	HandleHash    []byte
	UserID        uuid.UUID
	ClientID      string
	RedirectURI   string
	Scopes        []string
	State         string
	CodeChallenge string
	Resource      string
	CreatedAt     time.Time
	ExpiresAt     time.Time
}

// InsertOAuthPendingRequest stores r.
func (db *DB) InsertOAuthPendingRequest(ctx context.Context, r *OAuthPendingRequest) error {
	_, err := db.Pool.Exec(ctx, `INSERT INTO oauth_authorization_requests
			(token_hash, user_id, client_id, redirect_uri, scopes, state, code_challenge, resource, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		r.HandleHash, r.UserID, r.ClientID, r.RedirectURI, r.Scopes, r.State, r.CodeChallenge,
		r.Resource, r.CreatedAt, r.ExpiresAt)
	if err != nil {
		return fmt.Errorf("insert authorization request: %w", err)
	}
	return nil
}

// TakeOAuthPendingRequest deletes and returns userID's request whose
// handle hashes to handleHash, if it has not expired at now, with its
// client. A missing, foreign or expired request is ErrNotFound.
func (db *DB) TakeOAuthPendingRequest(ctx context.Context, userID uuid.UUID, handleHash []byte, now time.Time) (*OAuthPendingRequest, *OAuthClient, error) {
	r := OAuthPendingRequest{HandleHash: handleHash, UserID: userID}
	err := db.Pool.QueryRow(ctx, `DELETE FROM oauth_authorization_requests
		WHERE token_hash = $1 AND user_id = $2 AND expires_at > $3
		RETURNING client_id, redirect_uri, scopes, state, code_challenge, resource`,
		handleHash, userID, now).Scan(&r.ClientID, &r.RedirectURI, &r.Scopes, &r.State, &r.CodeChallenge, &r.Resource)
	if err != nil {
		return nil, nil, fmt.Errorf("take authorization request: %w", err)
	}
	client, err := OAuthClientByID(ctx, db.Pool, r.ClientID)
	if err != nil {
		return nil, nil, err
	}
	return &r, client, nil
}

// PurgeExpiredOAuthCodes deletes authorization codes and pending consent
// requests past their expiry. A redeemed code is kept until then so that a
// replay is recognised (and revokes what it issued).
func (db *DB) PurgeExpiredOAuthCodes(ctx context.Context, now time.Time, limit int) (int64, error) {
	return db.purgeOAuthRows(ctx, "purge expired codes",
		oauthPurgeStep{"codes", `DELETE FROM oauth_codes WHERE code_hash IN (
			SELECT code_hash FROM oauth_codes WHERE expires_at <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`, []any{now, limit}},
		oauthPurgeStep{"authorization requests", `DELETE FROM oauth_authorization_requests WHERE token_hash IN (
			SELECT token_hash FROM oauth_authorization_requests WHERE expires_at <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`, []any{now, limit}})
}

// OAuthConsentRecord is one consent decision or revocation, kept as
// evidence (P4, C3).
type OAuthConsentRecord struct {
	UserID         uuid.UUID
	GrantID        *uuid.UUID
	ClientID       string
	ClientName     string
	Action         string // grant, deny or revoke
	Scopes         []string
	ConsentVersion string
	OccurredAt     time.Time
}

// InsertOAuthConsentRecord stores r.
func InsertOAuthConsentRecord(ctx context.Context, q Querier, r *OAuthConsentRecord) error {
	_, err := q.Exec(ctx, `INSERT INTO oauth_consent_records
			(user_id, grant_id, client_id, client_name, action, scopes, consent_version, occurred_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		r.UserID, r.GrantID, r.ClientID, r.ClientName, r.Action, r.Scopes, r.ConsentVersion, r.OccurredAt)
	if err != nil {
		return fmt.Errorf("insert consent record: %w", err)
	}
	return nil
}

// ListOAuthConsentRecords returns every consent record the transaction's
// user may see, oldest first.
func ListOAuthConsentRecords(ctx context.Context, q Querier) ([]OAuthConsentRecord, error) {
	rows, err := q.Query(ctx, `SELECT grant_id, client_id, client_name, action, scopes, consent_version, occurred_at
		FROM oauth_consent_records ORDER BY occurred_at, id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []OAuthConsentRecord
	for rows.Next() {
		var c OAuthConsentRecord
		if err := rows.Scan(&c.GrantID, &c.ClientID, &c.ClientName, &c.Action, &c.Scopes, &c.ConsentVersion, &c.OccurredAt); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// OAuthCode is an authorization code, stored by the hash of its value.
type OAuthCode struct {
	Hash          []byte
	GrantID       uuid.UUID
	UserID        uuid.UUID
	ClientID      string
	RedirectURI   string
	CodeChallenge string
	Resource      string
	Scopes        []string
	CreatedAt     time.Time
	ExpiresAt     time.Time
	UsedAt        *time.Time
	FamilyID      *uuid.UUID // the token family its redemption started
}

// InsertOAuthCode stores a new, unredeemed code.
func InsertOAuthCode(ctx context.Context, q Querier, c *OAuthCode) error {
	_, err := q.Exec(ctx, `INSERT INTO oauth_codes (code_hash, grant_id, user_id, client_id, redirect_uri, code_challenge,
			resource, scopes, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		c.Hash, c.GrantID, c.UserID, c.ClientID, c.RedirectURI, c.CodeChallenge, c.Resource,
		c.Scopes, c.CreatedAt, c.ExpiresAt)
	if err != nil {
		return fmt.Errorf("insert code: %w", err)
	}
	return nil
}

// LockOAuthCode reads the code whose value hashes to hash and locks it for
// the rest of the transaction, so two redemptions run one after the other.
// An unknown code is ErrNotFound.
func LockOAuthCode(ctx context.Context, q Querier, hash []byte) (*OAuthCode, error) {
	c := OAuthCode{Hash: hash}
	err := q.QueryRow(ctx, `SELECT grant_id, user_id, client_id, redirect_uri, code_challenge, resource, scopes,
			expires_at, used_at, family_id
		FROM oauth_codes WHERE code_hash = $1 FOR UPDATE`, hash).
		Scan(&c.GrantID, &c.UserID, &c.ClientID, &c.RedirectURI, &c.CodeChallenge, &c.Resource, &c.Scopes,
			&c.ExpiresAt, &c.UsedAt, &c.FamilyID)
	if err != nil {
		return nil, fmt.Errorf("read code: %w", err)
	}
	return &c, nil
}

// MarkOAuthCodeUsed records that the code was redeemed at now and started
// familyID.
func MarkOAuthCodeUsed(ctx context.Context, q Querier, hash []byte, now time.Time, familyID uuid.UUID) error {
	if _, err := q.Exec(ctx, `UPDATE oauth_codes SET used_at = $2, family_id = $3 WHERE code_hash = $1`, hash, now, familyID); err != nil {
		return fmt.Errorf("mark code used: %w", err)
	}
	return nil
}

// RecordOAuthConnectionGrant records a new connection of clientID by
// userID and returns its grant id. A grant of the same client with nothing
// live under it (no unredeemed code, no unexpired token of an unrevoked
// family) is taken over as the new connection, so linking again after the
// tokens lapsed does not pile up grants; one another approval is taking
// over right now is skipped. Otherwise a new grant is inserted.
func RecordOAuthConnectionGrant(ctx context.Context, q Querier, userID uuid.UUID, clientID string, scopes []string, consentVersion string, now time.Time) (uuid.UUID, error) {
	var id uuid.UUID
	err := q.QueryRow(ctx, `UPDATE oauth_grants SET scopes = $3, consent_version = $4, created_at = $5, updated_at = $5, last_used_at = NULL
		WHERE id = (SELECT g.id FROM oauth_grants g
			WHERE g.user_id = $1 AND g.client_id = $2 AND g.revoked_at IS NULL
			AND NOT EXISTS (SELECT 1 FROM oauth_codes c WHERE c.grant_id = g.id AND c.used_at IS NULL AND c.expires_at > $5)
			AND NOT EXISTS (SELECT 1 FROM oauth_tokens t JOIN oauth_token_families f ON f.id = t.family_id
				WHERE t.grant_id = g.id AND t.revoked_at IS NULL AND t.expires_at > $5 AND f.revoked_at IS NULL AND f.expires_at > $5)
			ORDER BY g.created_at, g.id LIMIT 1 FOR UPDATE SKIP LOCKED)
		RETURNING id`, userID, clientID, scopes, consentVersion, now).Scan(&id)
	if errors.Is(err, ErrNotFound) {
		err = insertOAuthGrant(ctx, q, userID, clientID, scopes, consentVersion, now).Scan(&id)
	}
	if err != nil {
		return uuid.Nil, fmt.Errorf("record grant: %w", err)
	}
	return id, nil
}

// UpsertOAuthSingleGrant updates userID's oldest active grant of clientID
// to scopes and consentVersion, or inserts one, and returns its id: the
// client then has one grant per user.
func UpsertOAuthSingleGrant(ctx context.Context, q Querier, userID uuid.UUID, clientID string, scopes []string, consentVersion string, now time.Time) (uuid.UUID, error) {
	var id uuid.UUID
	err := q.QueryRow(ctx, `UPDATE oauth_grants SET scopes = $3, consent_version = $5, updated_at = $4
		WHERE id = (SELECT id FROM oauth_grants WHERE user_id = $1 AND client_id = $2 AND revoked_at IS NULL
			ORDER BY created_at, id LIMIT 1 FOR UPDATE)
		RETURNING id`, userID, clientID, scopes, now, consentVersion).Scan(&id)
	if errors.Is(err, ErrNotFound) {
		err = insertOAuthGrant(ctx, q, userID, clientID, scopes, consentVersion, now).Scan(&id)
	}
	if err != nil {
		return uuid.Nil, fmt.Errorf("upsert grant: %w", err)
	}
	return id, nil
}

func insertOAuthGrant(ctx context.Context, q Querier, userID uuid.UUID, clientID string, scopes []string, consentVersion string, now time.Time) pgx.Row {
	return q.QueryRow(ctx, `INSERT INTO oauth_grants (user_id, client_id, scopes, consent_version, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $5) RETURNING id`, userID, clientID, scopes, consentVersion, now)
}
