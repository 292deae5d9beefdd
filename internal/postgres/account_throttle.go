package postgres

import (
	"context"
	"fmt"
	"time"
)

// LoginThrottleRow names one failed-login counter of login_throttle: its
// scope ("account" or "ip") and the hash or MAC of its key.
type LoginThrottleRow struct {
	Scope   string
	Subject []byte
}

// AdoptLoginThrottle renames row's counter written under one of older (the
// subject under an older key) to row.Subject, unless a counter under
// row.Subject exists already, so the count goes on across a key rotation.
// Two concurrent adopters serialise on the old row's lock; the second then
// finds it renamed and leaves it.
func AdoptLoginThrottle(ctx context.Context, tx Querier, row LoginThrottleRow, older [][]byte) error {
	if len(older) == 0 {
		return nil
	}
	_, err := tx.Exec(ctx, `
		UPDATE login_throttle SET subject = $2
		WHERE scope = $1 AND subject = (
			SELECT subject FROM login_throttle WHERE scope = $1 AND subject = ANY($3)
			ORDER BY last_failure_at DESC LIMIT 1)
		AND NOT EXISTS (SELECT 1 FROM login_throttle WHERE scope = $1 AND subject = $2)`,
		row.Scope, row.Subject, older)
	if err != nil {
		return fmt.Errorf("carry the login throttle over a key rotation: %w", err)
	}
	return nil
}

// LoginLockedUntil returns the latest lock after now among scope's counters
// named by subjects, or ErrNotFound when none is locked.
func LoginLockedUntil(ctx context.Context, tx Querier, scope string, subjects [][]byte, now time.Time) (time.Time, error) {
	var until time.Time
	err := tx.QueryRow(ctx, `
		SELECT max(locked_until) FROM login_throttle
		WHERE scope = $1 AND subject = ANY($2) AND locked_until > $3 HAVING max(locked_until) IS NOT NULL`,
		scope, subjects, now).Scan(&until)
	if err != nil {
		return time.Time{}, fmt.Errorf("read login throttle: %w", err)
	}
	return until, nil
}

// CountLoginFailure counts one failed login on row at now, starting again
// from one when the last failure is not after forgetBefore, and returns the
// count. The upsert locks the row until tx ends, so concurrent failures on
// two replicas both count.
func CountLoginFailure(ctx context.Context, tx Querier, row LoginThrottleRow, now, forgetBefore time.Time) (int, error) {
	var failures int
	err := tx.QueryRow(ctx, `
		INSERT INTO login_throttle AS t (scope, subject, failures, last_failure_at)
		VALUES ($1, $2, 1, $3)
		ON CONFLICT (scope, subject) DO UPDATE SET
			failures = CASE WHEN t.last_failure_at <= $4 THEN 1 ELSE t.failures + 1 END,
			last_failure_at = $3
		RETURNING failures`,
		row.Scope, row.Subject, now, forgetBefore).Scan(&failures)
	if err != nil {
		return 0, fmt.Errorf("record failed login: %w", err)
	}
	return failures, nil
}

// ReserveLoginAttempt counts a login attempt on row at now like
// CountLoginFailure, except during a lock, which it leaves as it is; it
// returns the count and the lock (nil when none was ever set). The upsert
// locks the row until tx ends, so concurrent attempts are counted one after
// another.
func ReserveLoginAttempt(ctx context.Context, tx Querier, row LoginThrottleRow, now, forgetBefore time.Time) (int, *time.Time, error) {
	var (
		failures int
		until    *time.Time
	)
	err := tx.QueryRow(ctx, `
		INSERT INTO login_throttle AS t (scope, subject, failures, last_failure_at)
		VALUES ($1, $2, 1, $3)
		ON CONFLICT (scope, subject) DO UPDATE SET
			failures = CASE WHEN t.locked_until > $3 THEN t.failures
				WHEN t.last_failure_at <= $4 THEN 1 ELSE t.failures + 1 END,
			last_failure_at = CASE WHEN t.locked_until > $3 THEN t.last_failure_at ELSE $3 END
		RETURNING failures, locked_until`,
		row.Scope, row.Subject, now, forgetBefore).Scan(&failures, &until)
	if err != nil {
		return 0, nil, fmt.Errorf("count login attempt: %w", err)
	}
	return failures, until, nil
}

// LockLogin locks row's counter until until.
func LockLogin(ctx context.Context, tx Querier, row LoginThrottleRow, until time.Time) error {
	if _, err := tx.Exec(ctx, `UPDATE login_throttle SET locked_until = $3 WHERE scope = $1 AND subject = $2`,
		row.Scope, row.Subject, until); err != nil {
		return fmt.Errorf("lock out after failed logins: %w", err)
	}
	return nil
}

// ClearLoginThrottle forgets row's failures.
func ClearLoginThrottle(ctx context.Context, tx Querier, row LoginThrottleRow) error {
	if _, err := tx.Exec(ctx, `DELETE FROM login_throttle WHERE scope = $1 AND subject = $2`, row.Scope, row.Subject); err != nil {
		return fmt.Errorf("clear login throttle: %w", err)
	}
	return nil
}
