package audit

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// MinRetention is the floor audit_age_out enforces: no cutoff is accepted
// that would remove events younger than this.
const MinRetention = 30 * 24 * time.Hour

// Row is the part of a transaction or pool AgeOut needs.
type Row interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// AgeOut removes at most maxEvents sealed events that occurred before
// cutoff, together with their seals, in whole chain prefixes ending at a
// checkpoint that is kept as the new anchor, so Verify still passes (D3).
// It returns how many events went; call it until it returns 0. cutoff must
// be at least MinRetention in the past.
func AgeOut(ctx context.Context, q Row, cutoff time.Time, maxEvents int) (int64, error) {
	var n int64
	if err := q.QueryRow(ctx, `SELECT audit_age_out($1, $2)`, cutoff, maxEvents).Scan(&n); err != nil {
		return 0, fmt.Errorf("age out audit events: %w", err)
	}
	return n, nil
}
