package oauth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/taskbridge/taskbridge/internal/keyring"
	"github.com/taskbridge/taskbridge/internal/postgres"
)

// ErrNotFound is a client, grant or request that does not exist (or is not
// the caller's: row-level security makes the two indistinguishable).
var ErrNotFound = errors.New("not found")

// Store is the SQL of the authorization server.
type Store struct {
	db    *postgres.DB
	keys  *keyring.Keyring
	audit postgres.AuditAppender
}

// NewStore wraps db; keys seals refresh-token successors for the grace
// window; auditLog records what the store changes.
func NewStore(db *postgres.DB, keys *keyring.Keyring, auditLog postgres.AuditAppender) *Store {
	return &Store{db: db, keys: keys, audit: auditLog}
}

// Client is a registered (or metadata-document) client.
type Client struct {
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

// Public reports whether the client authenticates with no secret.
func (c *Client) Public() bool { return c.AuthMethod == authMethodNone }

const clientColumns = `client_id, kind, client_name, redirect_uris, grant_types, token_endpoint_auth_method,
	COALESCE(secret_hash, ''), allowed_scopes, application_type, created_at, fetched_at`

func scanClient(row pgx.Row) (*Client, error) {
	var c Client
	err := row.Scan(&c.ID, &c.Kind, &c.Name, &c.RedirectURIs, &c.GrantTypes, &c.AuthMethod,
		&c.SecretHash, &c.AllowedScopes, &c.ApplicationType, &c.CreatedAt, &c.FetchedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("read client: %w", err)
	}
	return &c, nil
}

// clientByID returns a live client: registrations past their unused-expiry
// are gone even before the purge job deletes them.
func (st *Store) clientByID(ctx context.Context, id string, now time.Time) (*Client, error) {
	return scanClient(st.db.Pool.QueryRow(ctx, `SELECT `+clientColumns+` FROM oauth_clients
		WHERE client_id = $1 AND (expires_at IS NULL OR expires_at > $2)`, id, now))
}

// insertClient stores a new registration, which expires unless a grant
// completes before expiresAt.
func insertClient(ctx context.Context, tx postgres.Querier, c *Client, expiresAt time.Time) error {
	var secret *string
	if c.SecretHash != "" {
		secret = &c.SecretHash
	}
	_, err := tx.Exec(ctx, `INSERT INTO oauth_clients (client_id, kind, client_name, redirect_uris, grant_types,
			token_endpoint_auth_method, secret_hash, allowed_scopes, application_type, created_at, expires_at, fetched_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		c.ID, c.Kind, c.Name, c.RedirectURIs, c.GrantTypes, c.AuthMethod, secret, c.AllowedScopes,
		c.ApplicationType, c.CreatedAt, expiresAt, c.FetchedAt)
	if err != nil {
		return fmt.Errorf("insert client: %w", err)
	}
	return nil
}

// upsertMetadataClient caches a fetched client metadata document. A cached
// client keeps its creation time and its expiry state (cleared by a grant).
func (st *Store) upsertMetadataClient(ctx context.Context, c *Client, unusedExpiry time.Time) error {
	_, err := st.db.Pool.Exec(ctx, `INSERT INTO oauth_clients (client_id, kind, client_name, redirect_uris, grant_types,
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

// The purges below each remove at most limit rows per table in one short
// transaction, so a pass after a long outage never holds many row locks at
// once; the retention job calls them again until they remove nothing.
// Rows are picked FOR UPDATE SKIP LOCKED: a row a request is using right
// now waits for the next batch.

// PurgeExpiredClients deletes registrations that never completed a grant
// before their expiry (A2). Clients with grants have no expiry and stay.
func (st *Store) PurgeExpiredClients(ctx context.Context, now time.Time, limit int) (int64, error) {
	tag, err := st.db.Pool.Exec(ctx, `DELETE FROM oauth_clients WHERE client_id IN (
		SELECT client_id FROM oauth_clients WHERE expires_at IS NOT NULL AND expires_at <= $1
		LIMIT $2 FOR UPDATE SKIP LOCKED)`, now, limit)
	if err != nil {
		return 0, fmt.Errorf("purge expired clients: %w", err)
	}
	return tag.RowsAffected(), nil
}

// PurgeExpiredCodes deletes authorization codes and pending consent requests
// past their expiry. A redeemed code is kept until then so that a replay is
// recognised (and revokes what it issued).
func (st *Store) PurgeExpiredCodes(ctx context.Context, now time.Time, limit int) (int64, error) {
	var n int64
	err := st.db.InSystemTx(ctx, func(tx postgres.Querier) error {
		tag, err := tx.Exec(ctx, `DELETE FROM oauth_codes WHERE code_hash IN (
			SELECT code_hash FROM oauth_codes WHERE expires_at <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`, now, limit)
		if err != nil {
			return fmt.Errorf("codes: %w", err)
		}
		n = tag.RowsAffected()
		tag, err = tx.Exec(ctx, `DELETE FROM oauth_authorization_requests WHERE token_hash IN (
			SELECT token_hash FROM oauth_authorization_requests WHERE expires_at <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`, now, limit)
		if err != nil {
			return fmt.Errorf("authorization requests: %w", err)
		}
		n += tag.RowsAffected()
		return nil
	})
	if err != nil {
		return n, fmt.Errorf("purge expired codes: %w", err)
	}
	return n, nil
}

// PurgeExpiredTokens deletes token families past their absolute lifetime
// (with their tokens) or revoked over a day ago, tokens past their expiry,
// and erases the sealed refresh-token successors kept for the grace window
// once it has passed. Each erased copy counts as a removed row.
func (st *Store) PurgeExpiredTokens(ctx context.Context, now time.Time, grace time.Duration, limit int) (int64, error) {
	var n int64
	err := st.db.InSystemTx(ctx, func(tx postgres.Querier) error {
		tag, err := tx.Exec(ctx, `DELETE FROM oauth_token_families WHERE id IN (
			SELECT id FROM oauth_token_families
			WHERE expires_at <= $1 OR (revoked_at IS NOT NULL AND revoked_at <= $1 - interval '1 day')
			LIMIT $2 FOR UPDATE SKIP LOCKED)`, now, limit)
		if err != nil {
			return fmt.Errorf("families: %w", err)
		}
		n = tag.RowsAffected()
		tag, err = tx.Exec(ctx, `DELETE FROM oauth_tokens WHERE token_hash IN (
			SELECT token_hash FROM oauth_tokens WHERE expires_at <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`, now, limit)
		if err != nil {
			return fmt.Errorf("tokens: %w", err)
		}
		n += tag.RowsAffected()
		tag, err = tx.Exec(ctx, `UPDATE oauth_tokens SET successor_sealed = NULL, successor_key_id = NULL
			WHERE token_hash IN (SELECT token_hash FROM oauth_tokens
				WHERE successor_sealed IS NOT NULL AND rotated_at <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`, now.Add(-grace), limit)
		if err != nil {
			return fmt.Errorf("sealed successors: %w", err)
		}
		n += tag.RowsAffected()
		return nil
	})
	if err != nil {
		return n, fmt.Errorf("purge expired tokens: %w", err)
	}
	return n, nil
}
