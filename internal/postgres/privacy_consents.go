package postgres

import (
	"context"
	"time"

	"github.com/google/uuid"
)

// AcceptedPolicy is one version of the privacy policy a user accepted, and when.
type AcceptedPolicy struct {
	Version    string
	AcceptedAt time.Time
}

// AcceptedPolicies lists userID's privacy-policy consents, oldest first
// (the "Your data" page, C3), in tx, whose identity is userID.
func AcceptedPolicies(ctx context.Context, tx Querier, userID uuid.UUID) ([]AcceptedPolicy, error) {
	rows, err := tx.Query(ctx, `SELECT version, accepted_at FROM consents WHERE user_id = $1 ORDER BY accepted_at`, userID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []AcceptedPolicy
	for rows.Next() {
		var a AcceptedPolicy
		if err := rows.Scan(&a.Version, &a.AcceptedAt); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}
