package postgres

import (
	"errors"

	"github.com/jackc/pgerrcode"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// ErrNotFound is what the adapter's lookups return when no row matches.
// It is pgx's own ErrNoRows, so a lookup may return the driver's error
// as it comes and callers still test errors.Is(err, postgres.ErrNotFound)
// without importing pgx.
var ErrNotFound = pgx.ErrNoRows

// IsUniqueViolation reports whether err is PostgreSQL refusing a duplicate
// of a unique key.
func IsUniqueViolation(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == pgerrcode.UniqueViolation
}
