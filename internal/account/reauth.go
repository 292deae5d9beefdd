package account

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/taskbridge/taskbridge/internal/postgres"
)

// Reauth is the outcome of a password re-check inside a session.
type Reauth struct {
	OK bool
	// LockedFor is how long this session must wait after too many wrong
	// passwords; when it is set, no password was checked.
	LockedFor time.Duration
}

// Reauthenticate re-checks the password of the user signed in on r, before
// an action as grave as deleting the account (D4). Wrong passwords count
// on this session only, with the login throttle's doubling lockout
// (ThrottlePolicy), and never on the account's login throttle: someone
// else's failed logins cannot stop the owner, and the owner's typos do not
// lock the login form. Like a login, an attempt is counted before its
// check, so a concurrent burst gets no more checks than the threshold. A
// request without a session is simply not OK.
func (s *Service) Reauthenticate(r *http.Request, password string) (Reauth, error) {
	sess, ok, err := s.resume(r)
	if err != nil || !ok {
		return Reauth{}, err
	}
	ctx, now := r.Context(), s.now()
	var (
		hash        string
		lockedUntil *time.Time
	)
	err = s.db.InUserTx(ctx, sess.user.ID, func(tx postgres.Querier) error {
		var failures int
		err := tx.QueryRow(ctx, `UPDATE sessions SET reauth_failures =
				CASE WHEN reauth_locked_until > $2 THEN reauth_failures ELSE reauth_failures + 1 END
			WHERE id = $1 RETURNING reauth_failures, reauth_locked_until`, sess.idHash, now).Scan(&failures, &lockedUntil)
		if err != nil {
			return fmt.Errorf("count re-authentication: %w", err)
		}
		if lockedUntil != nil && lockedUntil.After(now) {
			return nil
		}
		lockedUntil = nil
		if failures >= s.acctPol.Threshold {
			if _, err := tx.Exec(ctx, `UPDATE sessions SET reauth_locked_until = $2 WHERE id = $1`,
				sess.idHash, now.Add(s.acctPol.lockoutAfter(failures))); err != nil {
				return fmt.Errorf("lock re-authentication: %w", err)
			}
		}
		return tx.QueryRow(ctx, `SELECT password_hash FROM credentials WHERE user_id = $1`, sess.user.ID).Scan(&hash)
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return Reauth{}, nil // the session or the password ended meanwhile
	}
	if err != nil {
		return Reauth{}, err
	}
	if lockedUntil != nil {
		return Reauth{LockedFor: lockedUntil.Sub(now)}, nil
	}
	match, _, err := s.hasher.verify(ctx, NormalizePassword(password), hash)
	if err != nil || !match {
		return Reauth{}, err // the failure stays counted
	}
	err = s.db.InUserTx(ctx, sess.user.ID, func(tx postgres.Querier) error {
		_, err := tx.Exec(ctx, `UPDATE sessions SET reauth_failures = 0, reauth_locked_until = NULL WHERE id = $1`, sess.idHash)
		return err
	})
	if err != nil {
		return Reauth{}, fmt.Errorf("clear re-authentication failures: %w", err)
	}
	return Reauth{OK: true}, nil
}
