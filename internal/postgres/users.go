package postgres

import (
	"context"
	"fmt"
)

// AccountEmail returns the email of the user whose row-level-security
// transaction tx is: the users_self policy shows no other row.
func AccountEmail(ctx context.Context, tx Querier) (string, error) {
	var email string
	if err := tx.QueryRow(ctx, `SELECT email FROM users WHERE id = app_current_user_id()`).Scan(&email); err != nil {
		return "", fmt.Errorf("read the account email: %w", err)
	}
	return email, nil
}
