package account

import (
	"errors"
	"fmt"
	"net/http"
	"time"

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
		failures, until, err := postgres.CountReauthAttempt(ctx, tx, sess.idHash, now)
		if err != nil {
			return err
		}
		if until != nil && until.After(now) {
			lockedUntil = until
			return nil
		}
		if failures >= s.acctPol.Threshold {
			if err := postgres.LockReauth(ctx, tx, sess.idHash, now.Add(s.acctPol.lockoutAfter(failures))); err != nil {
				return err
			}
		}
		hash, err = postgres.CredentialHash(ctx, tx, sess.user.ID)
		return err
	})
	if errors.Is(err, postgres.ErrNotFound) {
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
		return postgres.ClearReauthFailures(ctx, tx, sess.idHash)
	})
	if err != nil {
		return Reauth{}, fmt.Errorf("clear re-authentication failures: %w", err)
	}
	return Reauth{OK: true}, nil
}
