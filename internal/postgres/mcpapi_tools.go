package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"

	"github.com/taskbridge/taskbridge/internal/task"
)

// EnsureFixtureUser creates the conformance fixture user unless it exists,
// in tx, a transaction as that user.
func EnsureFixtureUser(ctx context.Context, tx Querier, id uuid.UUID) error {
	_, err := tx.Exec(ctx, `INSERT INTO users (id, email, display_name) VALUES ($1, 'conformance@fixture.invalid', 'conformance fixture')
			ON CONFLICT (id) DO NOTHING`, id)
	return err
}

// LockTrashedAt locks the caller's task row for the rest of the transaction
// and returns its deleted_at (nil for a live task), or task.ErrNotFound.
// Row-level security limits it to the caller's own rows. The lock keeps a
// concurrent restore or trash from changing deleted_at between purge_task's
// confirmation check and the delete.
func LockTrashedAt(ctx context.Context, tx Querier, id uuid.UUID) (*time.Time, error) {
	var deletedAt *time.Time
	err := tx.QueryRow(ctx, `SELECT deleted_at FROM tasks WHERE id = $1 FOR UPDATE`, id).Scan(&deletedAt)
	if errors.Is(err, ErrNotFound) {
		return nil, task.ErrNotFound
	}
	return deletedAt, err
}
