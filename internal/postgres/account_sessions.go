package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// AccountSession is a row of sessions: IDHash is the SHA-256 of the cookie
// value, never the value itself.
type AccountSession struct {
	IDHash     []byte
	UserID     uuid.UUID
	CSRFSecret []byte
	CreatedAt  time.Time
	ExpiresAt  time.Time
	UserAgent  string
}

// InsertAccountSession stores s in tx, whose identity is s.UserID.
func InsertAccountSession(ctx context.Context, tx Querier, s AccountSession) error {
	_, err := tx.Exec(ctx, `
		INSERT INTO sessions (id, user_id, created_at, last_seen_at, expires_at, user_agent, csrf_secret)
		VALUES ($1, $2, $3, $3, $4, $5, $6)`,
		s.IDHash, s.UserID, s.CreatedAt, s.ExpiresAt, s.UserAgent, s.CSRFSecret)
	if err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	return nil
}

// ResumeAccountSession returns the live session named by idHash and marks
// it seen at now, or ErrNotFound when it has expired or been idle longer
// than idle. It runs before the user is known, so it goes through the
// SECURITY DEFINER function account_session_resume (A8); the result has
// IDHash, UserID, CSRFSecret and ExpiresAt.
func ResumeAccountSession(ctx context.Context, tx Querier, idHash []byte, now time.Time, idle time.Duration) (AccountSession, error) {
	s := AccountSession{IDHash: idHash}
	err := tx.QueryRow(ctx, `SELECT user_id, csrf_secret, expires_at FROM account_session_resume($1, $2, $3)`,
		idHash, now, idle).Scan(&s.UserID, &s.CSRFSecret, &s.ExpiresAt)
	if err != nil {
		return AccountSession{}, fmt.Errorf("resume session: %w", err)
	}
	return s, nil
}

// DeleteAccountSession removes one session row under its owner's identity.
func DeleteAccountSession(ctx context.Context, tx Querier, idHash []byte) error {
	if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE id = $1`, idHash); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// CountReauthAttempt counts a password re-check on the session named by
// idHash, unless it is locked out at now, and returns its failure count and
// lock (nil when none was ever set); ErrNotFound when the session is gone.
func CountReauthAttempt(ctx context.Context, tx Querier, idHash []byte, now time.Time) (int, *time.Time, error) {
	var (
		failures    int
		lockedUntil *time.Time
	)
	err := tx.QueryRow(ctx, `UPDATE sessions SET reauth_failures =
			CASE WHEN reauth_locked_until > $2 THEN reauth_failures ELSE reauth_failures + 1 END
		WHERE id = $1 RETURNING reauth_failures, reauth_locked_until`, idHash, now).Scan(&failures, &lockedUntil)
	if err != nil {
		return 0, nil, fmt.Errorf("count re-authentication: %w", err)
	}
	return failures, lockedUntil, nil
}

// LockReauth refuses password re-checks on the session until until.
func LockReauth(ctx context.Context, tx Querier, idHash []byte, until time.Time) error {
	if _, err := tx.Exec(ctx, `UPDATE sessions SET reauth_locked_until = $2 WHERE id = $1`, idHash, until); err != nil {
		return fmt.Errorf("lock re-authentication: %w", err)
	}
	return nil
}

// ClearReauthFailures forgets the session's failed re-checks and its lock.
func ClearReauthFailures(ctx context.Context, tx Querier, idHash []byte) error {
	_, err := tx.Exec(ctx, `UPDATE sessions SET reauth_failures = 0, reauth_locked_until = NULL WHERE id = $1`, idHash)
	return err
}
