package postgres

import (
	"context"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/taskbridge/taskbridge/internal/keyring"
)

// OwnerConn is one connection as the schema owner
// (TASKBRIDGE_MIGRATE_DATABASE_URL), for the operator commands that need
// powers the server's runtime role deliberately lacks: listing every user,
// finding one by email, re-encrypting every note.
type OwnerConn struct {
	conn *pgx.Conn
}

// ConnectOwner connects to ownerURL. Its error may repeat the URL, password
// included: callers that print it should say something of their own.
func ConnectOwner(ctx context.Context, ownerURL string) (*OwnerConn, error) {
	conn, err := pgx.Connect(ctx, ownerURL)
	if err != nil {
		return nil, err
	}
	return &OwnerConn{conn: conn}, nil
}

// Close closes the connection.
func (o *OwnerConn) Close(ctx context.Context) error { return o.conn.Close(ctx) }

// InTx runs fn in one transaction; fn's error rolls it back.
func (o *OwnerConn) InTx(ctx context.Context, fn func(Querier) error) error {
	return pgx.BeginFunc(ctx, o.conn, func(tx pgx.Tx) error { return fn(tx) })
}

// RotateNotes is RotateNotes on this connection.
func (o *OwnerConn) RotateNotes(ctx context.Context, keys *keyring.Keyring, opts RotateOptions) (RotateResult, error) {
	return RotateNotes(ctx, o.conn, keys, opts)
}

// UserIDByEmail returns the id of the account with that (normalised) email,
// or ErrNotFound.
func (o *OwnerConn) UserIDByEmail(ctx context.Context, email string) (uuid.UUID, error) {
	var id uuid.UUID
	err := o.conn.QueryRow(ctx, `SELECT id FROM users WHERE email = $1`, email).Scan(&id)
	return id, err
}
