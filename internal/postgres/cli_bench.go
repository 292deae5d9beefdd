package postgres

import (
	"context"
	"fmt"

	"github.com/google/uuid"
)

// LastAuditEventID is the id of the newest audit event, 0 when there is none.
func (db *DB) LastAuditEventID(ctx context.Context) (int64, error) {
	var id int64
	err := db.Pool.QueryRow(ctx, `SELECT coalesce(max(id), 0) FROM audit_events`).Scan(&id)
	return id, err
}

// LastSealedEventID is the id of the newest sealed audit event, 0 when
// nothing is sealed.
func (db *DB) LastSealedEventID(ctx context.Context) (int64, error) {
	var id int64
	err := db.Pool.QueryRow(ctx, `SELECT coalesce(max(event_id), 0) FROM audit_seals`).Scan(&id)
	return id, err
}

// Autovacuum is the server's autovacuum setting ("on" or "off").
func (db *DB) Autovacuum(ctx context.Context) (string, error) {
	var setting string
	err := db.Pool.QueryRow(ctx, "SHOW autovacuum").Scan(&setting)
	return setting, err
}

// InsertBenchUser creates a bench user in tx, a transaction as that user.
func InsertBenchUser(ctx context.Context, tx Querier, id uuid.UUID) error {
	_, err := tx.Exec(ctx, `INSERT INTO users (id, email, display_name) VALUES ($1, $2, 'taskbridge bench')`, id, "bench-"+id.String()+"@bench.invalid")
	return err
}

// DeleteBenchUser removes a bench user, and with it everything it owns, in
// tx, a transaction as that user.
func DeleteBenchUser(ctx context.Context, tx Querier, id uuid.UUID) error {
	if _, err := tx.Exec(ctx, `DELETE FROM users WHERE id = $1`, id); err != nil {
		return fmt.Errorf("delete bench user: %w", err)
	}
	return nil
}
