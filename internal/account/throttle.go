package account

import (
	"context"
	"crypto/sha256"
	"errors"
	"time"

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

// row names s's counter under the current key.
func (s throttleSubject) row() postgres.LoginThrottleRow {
	return postgres.LoginThrottleRow{Scope: string(s.scope), Subject: s.hash}
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
		until, err := postgres.LoginLockedUntil(ctx, tx, string(s.scope), s.hashes(), now)
		if errors.Is(err, postgres.ErrNotFound) {
			continue
		}
		if err != nil {
			return lockout{}, false, err
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
	if err := postgres.AdoptLoginThrottle(ctx, tx, s.row(), s.older); err != nil {
		return err
	}
	failures, err := postgres.CountLoginFailure(ctx, tx, s.row(), now, now.Add(-p.Forget))
	if err != nil {
		return err
	}
	if failures < p.Threshold {
		return nil
	}
	return postgres.LockLogin(ctx, tx, s.row(), now.Add(p.lockoutAfter(failures)))
}

// reserveAttempt counts a login attempt against s before its password is
// checked: as a failure, until a successful login clears it. The
// upsert locks the row, so concurrent attempts, on any replica, are counted
// one after another: the attempt that reaches the threshold starts the
// lockout, and every later one finds it and is refused without a password
// check. Counting only after the check would let a burst of concurrent
// guesses all pass a check that none of them had counted yet. An attempt
// during a lockout is refused and not counted.
func reserveAttempt(ctx context.Context, tx postgres.Querier, now time.Time, s throttleSubject, p ThrottlePolicy) (lockout, bool, error) {
	if err := postgres.AdoptLoginThrottle(ctx, tx, s.row(), s.older); err != nil {
		return lockout{}, false, err
	}
	failures, until, err := postgres.ReserveLoginAttempt(ctx, tx, s.row(), now, now.Add(-p.Forget))
	if err != nil {
		return lockout{}, false, err
	}
	if until != nil && until.After(now) {
		return lockout{scope: s.scope, until: *until}, true, nil
	}
	if failures < p.Threshold {
		return lockout{}, false, nil
	}
	return lockout{}, false, postgres.LockLogin(ctx, tx, s.row(), now.Add(p.lockoutAfter(failures)))
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
