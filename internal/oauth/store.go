package oauth

import (
	"context"
	"errors"
	"time"

	"github.com/taskbridge/taskbridge/internal/keyring"
	"github.com/taskbridge/taskbridge/internal/postgres"
)

// ErrNotFound is a client, grant or request that does not exist (or is not
// the caller's: row-level security makes the two indistinguishable).
var ErrNotFound = errors.New("not found")

// notFound turns the storage adapter's "no row" into ErrNotFound and
// leaves any other error as it is.
func notFound(err error) error {
	if errors.Is(err, postgres.ErrNotFound) {
		return ErrNotFound
	}
	return err
}

// Store is the authorization server's storage: the adapter that holds its
// SQL (postgres/oauth_*.go), the keyring that seals refresh-token
// successors for the grace window, and the audit log.
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

// publicClient reports whether c authenticates with no secret.
func publicClient(c *postgres.OAuthClient) bool { return c.AuthMethod == authMethodNone }

// clientByID returns a live client: registrations past their unused-expiry
// are gone even before the purge job deletes them.
func (st *Store) clientByID(ctx context.Context, id string, now time.Time) (*postgres.OAuthClient, error) {
	c, err := st.db.LiveOAuthClient(ctx, id, now)
	return c, notFound(err)
}

// PurgeExpiredClients deletes registrations that never completed a grant
// before their expiry (A2). Clients with grants have no expiry and stay.
// Like the purges below, it removes at most limit rows per table, and the
// retention job calls it again until it removes nothing.
func (st *Store) PurgeExpiredClients(ctx context.Context, now time.Time, limit int) (int64, error) {
	return st.db.PurgeExpiredOAuthClients(ctx, now, limit)
}

// PurgeExpiredCodes deletes authorization codes and pending consent requests
// past their expiry. A redeemed code is kept until then so that a replay is
// recognised (and revokes what it issued).
func (st *Store) PurgeExpiredCodes(ctx context.Context, now time.Time, limit int) (int64, error) {
	return st.db.PurgeExpiredOAuthCodes(ctx, now, limit)
}

// PurgeExpiredTokens deletes token families past their absolute lifetime
// or revoked over a day ago, tokens past their expiry, and erases the
// sealed refresh-token successors once the grace window has passed.
func (st *Store) PurgeExpiredTokens(ctx context.Context, now time.Time, grace time.Duration, limit int) (int64, error) {
	return st.db.PurgeExpiredOAuthTokens(ctx, now, grace, limit)
}
