package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// OAuthClient is a registered (or metadata-document) OAuth client.
type OAuthClient struct {
	ID              string
	Kind            string // "dcr" or "cimd"
	Name            string
	RedirectURIs    []string
	GrantTypes      []string
	AuthMethod      string
	SecretHash      string
	AllowedScopes   []string
	ApplicationType string
	CreatedAt       time.Time
	FetchedAt       *time.Time
}

const oauthClientColumns = `client_id, kind, client_name, redirect_uris, grant_types, token_endpoint_auth_method,
	COALESCE(secret_hash, ''), allowed_scopes, application_type, created_at, fetched_at`

// scanOAuthClient reads one client; no row is ErrNotFound.
func scanOAuthClient(row pgx.Row) (*OAuthClient, error) {
	var c OAuthClient
	err := row.Scan(&c.ID, &c.Kind, &c.Name, &c.RedirectURIs, &c.GrantTypes, &c.AuthMethod,
		&c.SecretHash, &c.AllowedScopes, &c.ApplicationType, &c.CreatedAt, &c.FetchedAt)
	if err != nil {
		return nil, fmt.Errorf("read client: %w", err)
	}
	return &c, nil
}

// OAuthClientByID returns the client, expired or not.
func OAuthClientByID(ctx context.Context, q Querier, id string) (*OAuthClient, error) {
	return scanOAuthClient(q.QueryRow(ctx, `SELECT `+oauthClientColumns+` FROM oauth_clients WHERE client_id = $1`, id))
}

// LiveOAuthClient returns a client that has not expired at now:
// registrations past their unused-expiry are gone even before the purge
// deletes them.
func (db *DB) LiveOAuthClient(ctx context.Context, id string, now time.Time) (*OAuthClient, error) {
	return scanOAuthClient(db.Pool.QueryRow(ctx, `SELECT `+oauthClientColumns+` FROM oauth_clients
		WHERE client_id = $1 AND (expires_at IS NULL OR expires_at > $2)`, id, now))
}

// InsertOAuthClient stores a new registration, which expires unless a
// grant completes before expiresAt (KeepOAuthClient).
func InsertOAuthClient(ctx context.Context, q Querier, c *OAuthClient, expiresAt time.Time) error {
	var secret *string
	if c.SecretHash != "" {
		secret = &c.SecretHash
	}
	_, err := q.Exec(ctx, `INSERT INTO oauth_clients (client_id, kind, client_name, redirect_uris, grant_types,
			token_endpoint_auth_method, secret_hash, allowed_scopes, application_type, created_at, expires_at, fetched_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		c.ID, c.Kind, c.Name, c.RedirectURIs, c.GrantTypes, c.AuthMethod, secret, c.AllowedScopes,
		c.ApplicationType, c.CreatedAt, expiresAt, c.FetchedAt)
	if err != nil {
		return fmt.Errorf("insert client: %w", err)
	}
	return nil
}

// UpsertMetadataOAuthClient caches a fetched client metadata document. A
// cached client keeps its creation time and its expiry state (cleared by a
// grant).
func (db *DB) UpsertMetadataOAuthClient(ctx context.Context, c *OAuthClient, unusedExpiry time.Time) error {
	_, err := db.Pool.Exec(ctx, `INSERT INTO oauth_clients (client_id, kind, client_name, redirect_uris, grant_types,
			token_endpoint_auth_method, allowed_scopes, application_type, created_at, expires_at, fetched_at)
		VALUES ($1, 'cimd', $2, $3, $4, 'none', '{}', $5, $6, $7, $6)
		ON CONFLICT (client_id) DO UPDATE SET client_name = EXCLUDED.client_name,
			redirect_uris = EXCLUDED.redirect_uris, grant_types = EXCLUDED.grant_types,
			application_type = EXCLUDED.application_type, fetched_at = EXCLUDED.fetched_at,
			expires_at = CASE WHEN oauth_clients.expires_at IS NULL THEN NULL ELSE EXCLUDED.expires_at END
		WHERE oauth_clients.kind = 'cimd'`,
		c.ID, c.Name, c.RedirectURIs, c.GrantTypes, c.ApplicationType, *c.FetchedAt, unusedExpiry)
	if err != nil {
		return fmt.Errorf("cache client metadata document: %w", err)
	}
	return nil
}

// KeepOAuthClient marks a client as used: its registration no longer
// expires.
func KeepOAuthClient(ctx context.Context, q Querier, clientID string) error {
	if _, err := q.Exec(ctx, `UPDATE oauth_clients SET expires_at = NULL WHERE client_id = $1 AND expires_at IS NOT NULL`, clientID); err != nil {
		return fmt.Errorf("keep client: %w", err)
	}
	return nil
}

// The purges below (PurgeExpiredOAuth*) each remove at most limit rows per
// table in one short transaction, so a pass after a long outage never holds
// many row locks at once; the retention job calls them again until they
// remove nothing. Rows are picked FOR UPDATE SKIP LOCKED: a row a request is
// using right now waits for the next batch.

// PurgeExpiredOAuthClients deletes registrations that never completed a
// grant before their expiry (A2). Clients with grants have no expiry.
func (db *DB) PurgeExpiredOAuthClients(ctx context.Context, now time.Time, limit int) (int64, error) {
	tag, err := db.Pool.Exec(ctx, `DELETE FROM oauth_clients WHERE client_id IN (
		SELECT client_id FROM oauth_clients WHERE expires_at IS NOT NULL AND expires_at <= $1
		LIMIT $2 FOR UPDATE SKIP LOCKED)`, now, limit)
	if err != nil {
		return 0, fmt.Errorf("purge expired clients: %w", err)
	}
	return tag.RowsAffected(), nil
}

// oauthPurgeStep is one statement of a purge: what it removes (to name it
// in an error), its SQL and the SQL's arguments.
type oauthPurgeStep struct {
	what string
	sql  string
	args []any
}

// purgeOAuthRows runs steps in one system transaction and returns how many
// rows they removed together; purge names the whole in an error.
func (db *DB) purgeOAuthRows(ctx context.Context, purge string, steps ...oauthPurgeStep) (int64, error) {
	var n int64
	err := db.InSystemTx(ctx, func(tx Querier) error {
		for _, st := range steps {
			tag, err := tx.Exec(ctx, st.sql, st.args...)
			if err != nil {
				return fmt.Errorf("%s: %w", st.what, err)
			}
			n += tag.RowsAffected()
		}
		return nil
	})
	if err != nil {
		return n, fmt.Errorf("%s: %w", purge, err)
	}
	return n, nil
}
