package account

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/taskbridge/taskbridge/internal/postgres"
)

// ThrottlePolicy locks out a subject (an account or a client IP) after
// repeated failed logins. The lockout doubles with every failure past the
// threshold, up to MaxLockout, so an online guesser gets a handful of tries
// and then a few per hour, while a user who mistyped waits a minute.
type ThrottlePolicy struct {
	Threshold  int           // failures that trigger the first lockout
	Lockout    time.Duration // length of the first lockout
	MaxLockout time.Duration // cap of the doubling
	Forget     time.Duration // failures this old no longer count
}

// DefaultAccountThrottle: five failures lock an account for a minute, then
// two, four, ... up to an hour; a day without failures forgets them.
func DefaultAccountThrottle() ThrottlePolicy {
	return ThrottlePolicy{Threshold: 5, Lockout: time.Minute, MaxLockout: time.Hour, Forget: 24 * time.Hour}
}

// DefaultIPThrottle is higher than the per-account threshold because several
// people can share an address (an office NAT); it is what stops one address
// from trying a few passwords on many accounts, which the per-account
// lockout cannot see.
func DefaultIPThrottle() ThrottlePolicy {
	return ThrottlePolicy{Threshold: 30, Lockout: 5 * time.Minute, MaxLockout: time.Hour, Forget: time.Hour}
}

func (p ThrottlePolicy) orDefault(def ThrottlePolicy) ThrottlePolicy {
	if p.Threshold <= 0 {
		return def
	}
	if p.Lockout <= 0 {
		p.Lockout = def.Lockout
	}
	if p.MaxLockout < p.Lockout {
		p.MaxLockout = max(p.Lockout, def.MaxLockout)
	}
	if p.Forget <= 0 {
		p.Forget = def.Forget
	}
	return p
}

// throttleScope names a row kind of login_throttle.
type throttleScope string

const (
	scopeAccount throttleScope = "account"
	scopeIP      throttleScope = "ip"
)

// throttleSubject is one counter: its scope and the hash of its key that
// names its row, plus the hashes of the same key under older keys, for
// rows written before a key rotation.
type throttleSubject struct {
	scope throttleScope
	hash  []byte
	older [][]byte
}

// newSubject is an account's counter, named by the SHA-256 of the scope and
// the email (internal/privacy's erasure recomputes it to delete the row).
func newSubject(scope throttleScope, key string) throttleSubject {
	sum := sha256.Sum256([]byte(string(scope) + "\x00" + key))
	return throttleSubject{scope: scope, hash: sum[:]}
}

// ipThrottlePurpose names the keyring MAC of a client IP address.
const ipThrottlePurpose = "taskbridge/account/login-throttle/ip/v1"

// ipSubject is a client IP's counter, named by an HMAC of the address
// under the keyring (TASKBRIDGE_ENCRYPTION_KEYS): a plain hash of an IP is
// reversed by hashing every address, which takes seconds. After a key
// rotation the row written under the older key is still found, and taken
// over under the new key at the next failure, for as long as the older key
// stays configured (PRIVACY.md).
func (s *Service) ipSubject(ip string) throttleSubject {
	macs := s.keys.MACs(ipThrottlePurpose, []byte(ip))
	return throttleSubject{scope: scopeIP, hash: macs[0], older: macs[1:]}
}

// hashes is every name s's row may have, the current one first.
func (s throttleSubject) hashes() [][]byte { return append([][]byte{s.hash}, s.older...) }

// adopt renames s's row written under an older key to s.hash, unless a row
// under s.hash exists already, so the count goes on across a key rotation.
// Two concurrent adopters serialise on the old row's lock; the second then
// finds it renamed and leaves it.
func adopt(ctx context.Context, tx postgres.Querier, s throttleSubject) error {
	if len(s.older) == 0 {
		return nil
	}
	_, err := tx.Exec(ctx, `
		UPDATE login_throttle SET subject = $2
		WHERE scope = $1 AND subject = (
			SELECT subject FROM login_throttle WHERE scope = $1 AND subject = ANY($3)
			ORDER BY last_failure_at DESC LIMIT 1)
		AND NOT EXISTS (SELECT 1 FROM login_throttle WHERE scope = $1 AND subject = $2)`,
		string(s.scope), s.hash, s.older)
	if err != nil {
		return fmt.Errorf("carry the login throttle over a key rotation: %w", err)
	}
	return nil
}

// lockout is an active lock: which scope and until when.
type lockout struct {
	scope throttleScope
	until time.Time
}

// checkLockout returns the longest active lockout among subjects, if any.
func checkLockout(ctx context.Context, tx postgres.Querier, now time.Time, subjects ...throttleSubject) (lockout, bool, error) {
	var best lockout
	for _, s := range subjects {
		var until time.Time
		err := tx.QueryRow(ctx, `
			SELECT max(locked_until) FROM login_throttle
			WHERE scope = $1 AND subject = ANY($2) AND locked_until > $3 HAVING max(locked_until) IS NOT NULL`,
			string(s.scope), s.hashes(), now).Scan(&until)
		if errors.Is(err, pgx.ErrNoRows) {
			continue
		}
		if err != nil {
			return lockout{}, false, fmt.Errorf("read login throttle: %w", err)
		}
		if until.After(best.until) {
			best = lockout{scope: s.scope, until: until}
		}
	}
	return best, !best.until.IsZero(), nil
}

// recordFailure counts one failed login against s. The upsert locks the
// row until tx ends, so concurrent failures on two replicas both count and
// the lockout is computed from the true count.
func recordFailure(ctx context.Context, tx postgres.Querier, now time.Time, s throttleSubject, p ThrottlePolicy) error {
	if err := adopt(ctx, tx, s); err != nil {
		return err
	}
	var failures int
	err := tx.QueryRow(ctx, `
		INSERT INTO login_throttle AS t (scope, subject, failures, last_failure_at)
		VALUES ($1, $2, 1, $3)
		ON CONFLICT (scope, subject) DO UPDATE SET
			failures = CASE WHEN t.last_failure_at <= $4 THEN 1 ELSE t.failures + 1 END,
			last_failure_at = $3
		RETURNING failures`,
		string(s.scope), s.hash, now, now.Add(-p.Forget)).Scan(&failures)
	if err != nil {
		return fmt.Errorf("record failed login: %w", err)
	}
	if failures < p.Threshold {
		return nil
	}
	if _, err := tx.Exec(ctx, `UPDATE login_throttle SET locked_until = $3 WHERE scope = $1 AND subject = $2`,
		string(s.scope), s.hash, now.Add(p.lockoutAfter(failures))); err != nil {
		return fmt.Errorf("lock out after failed logins: %w", err)
	}
	return nil
}

// reserveAttempt counts a login attempt against s before its password is
// checked: as a failure, until a success clears it (clearFailures). The
// upsert locks the row, so concurrent attempts, on any replica, are counted
// one after another: the attempt that reaches the threshold starts the
// lockout, and every later one finds it and is refused without a password
// check. Counting only after the check would let a burst of concurrent
// guesses all pass a check that none of them had counted yet. An attempt
// during a lockout is refused and not counted.
func reserveAttempt(ctx context.Context, tx postgres.Querier, now time.Time, s throttleSubject, p ThrottlePolicy) (lockout, bool, error) {
	if err := adopt(ctx, tx, s); err != nil {
		return lockout{}, false, err
	}
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
		string(s.scope), s.hash, now, now.Add(-p.Forget)).Scan(&failures, &until)
	if err != nil {
		return lockout{}, false, fmt.Errorf("count login attempt: %w", err)
	}
	if until != nil && until.After(now) {
		return lockout{scope: s.scope, until: *until}, true, nil
	}
	if failures < p.Threshold {
		return lockout{}, false, nil
	}
	if _, err := tx.Exec(ctx, `UPDATE login_throttle SET locked_until = $3 WHERE scope = $1 AND subject = $2`,
		string(s.scope), s.hash, now.Add(p.lockoutAfter(failures))); err != nil {
		return lockout{}, false, fmt.Errorf("lock out after failed logins: %w", err)
	}
	return lockout{}, false, nil
}

// lockoutAfter is the lockout that the n-th failure (n >= Threshold)
// starts: Lockout, doubled for each failure past the threshold, capped.
func (p ThrottlePolicy) lockoutAfter(n int) time.Duration {
	d := p.Lockout
	for i := p.Threshold; i < n && d < p.MaxLockout; i++ {
		d *= 2
	}
	return min(d, p.MaxLockout)
}

// clearFailures forgets s's failures after a successful login.
func clearFailures(ctx context.Context, tx postgres.Querier, s throttleSubject) error {
	if _, err := tx.Exec(ctx, `DELETE FROM login_throttle WHERE scope = $1 AND subject = $2`, string(s.scope), s.hash); err != nil {
		return fmt.Errorf("clear login throttle: %w", err)
	}
	return nil
}
