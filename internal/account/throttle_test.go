package account_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/taskbridge/taskbridge/internal/account"
	"github.com/taskbridge/taskbridge/internal/keyring"
)

func retryAfter(t *testing.T, p page) int {
	t.Helper()
	n, err := strconv.Atoi(p.Header.Get("Retry-After"))
	if err != nil || n <= 0 {
		t.Fatalf("Retry-After %q is not a positive number of seconds", p.Header.Get("Retry-After"))
	}
	return n
}

// Five failures lock the account: even the right password gets 429 with
// Retry-After until the lockout (moved past with the test clock) ends; the
// next failure locks it for twice as long.
func TestLoginThrottlePerAccountLocksAndLiftsAfterWindow(t *testing.T) {
	e := newEnv(t)
	email := uniqueEmail("locked")
	e.mustSignup(e.browser(), email)
	c := e.browser()
	for i := range 5 {
		if p := e.login(c, email, "wrong password number "+strconv.Itoa(i)); p.StatusCode != http.StatusOK {
			t.Fatalf("failure %d: status %d", i+1, p.StatusCode)
		}
	}
	p := e.login(c, email, testPassword)
	if p.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("right password during lockout: status %d, want 429", p.StatusCode)
	}
	if got := retryAfter(t, p); got != 60 {
		t.Errorf("Retry-After %d, want 60 (the first lockout)", got)
	}
	if e.signedIn(c) {
		t.Fatal("signed in during lockout")
	}
	e.clock.Advance(59 * time.Second)
	if p := e.login(c, email, testPassword); p.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("one second before the lockout ends: status %d", p.StatusCode)
	}

	e.clock.Advance(2 * time.Second)
	if p := e.login(c, email, "still wrong"); p.StatusCode != http.StatusOK {
		t.Fatalf("after the lockout: status %d", p.StatusCode)
	}
	p = e.login(c, email, testPassword)
	if p.StatusCode != http.StatusTooManyRequests || retryAfter(t, p) != 120 {
		t.Fatalf("sixth failure: status %d Retry-After %q, want 429 and 120", p.StatusCode, p.Header.Get("Retry-After"))
	}
	e.clock.Advance(121 * time.Second)
	if p := e.login(c, email, testPassword); p.StatusCode != http.StatusSeeOther {
		t.Fatalf("right password after the lockout: status %d\n%s", p.StatusCode, p.body)
	}
	if e.metrics.throttled["/login"] != 3 {
		t.Errorf("Throttled(/login) counted %d, want 3", e.metrics.throttled["/login"])
	}
}

// Unknown emails lock exactly like real ones, so a lockout reveals nothing.
func TestLoginThrottleLocksUnknownEmailsToo(t *testing.T) {
	e := newEnv(t)
	c := e.browser()
	email := uniqueEmail("ghost")
	for range 5 {
		e.login(c, email, "any password at all")
	}
	if p := e.login(c, email, "any password at all"); p.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("unknown email after five failures: status %d, want 429", p.StatusCode)
	}
}

// One address trying a few passwords on many accounts is stopped by the
// per-IP lockout, which the per-account one cannot see.
func TestLoginThrottlePerIPAcrossAccounts(t *testing.T) {
	e := newEnv(t, func(o *envConfig) {
		o.IPThrottle = account.ThrottlePolicy{Threshold: 3, Lockout: 5 * time.Minute, MaxLockout: time.Hour, Forget: time.Hour}
	})
	victim := uniqueEmail("victim")
	e.mustSignup(e.browser(), victim)
	c := e.browser()
	for i := range 3 {
		e.login(c, uniqueEmail("spray"+strconv.Itoa(i)), "wrong password")
	}
	p := e.login(c, victim, testPassword)
	if p.StatusCode != http.StatusTooManyRequests || retryAfter(t, p) != 300 {
		t.Fatalf("login from a locked IP: status %d Retry-After %q, want 429 and 300", p.StatusCode, p.Header.Get("Retry-After"))
	}
	e.clock.Advance(5*time.Minute + time.Second)
	if p := e.login(c, victim, testPassword); p.StatusCode != http.StatusSeeOther {
		t.Fatalf("after the IP lockout: status %d", p.StatusCode)
	}
}

// The request-rate limit (httprate) on the form posts answers 429 with
// Retry-After before any password work.
func TestFormPostsRateLimitedPerIPWith429AndRetryAfter(t *testing.T) {
	e := newEnv(t, func(o *envConfig) { o.RateLimit = account.RateLimit{Requests: 3, Window: time.Minute} })
	c := e.browser()
	form := e.get(c, "/login")
	token := csrfFrom(t, form)
	var last page
	for range 4 {
		last = e.post(c, "/login", url.Values{"csrf_token": {token}, "email": {"x@example.test"}, "password": {"whatever pass"}})
	}
	if last.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("fourth post within the window: status %d, want 429", last.StatusCode)
	}
	retryAfter(t, last)
	if last.Header.Get("Content-Security-Policy") == "" {
		t.Error("429 page without CSP")
	}
	if e.metrics.throttled["/login"] != 1 {
		t.Errorf("Throttled(/login) counted %d, want 1", e.metrics.throttled["/login"])
	}
	// The login page itself (GET) is not limited.
	if p := e.get(c, "/login"); p.StatusCode != http.StatusOK {
		t.Fatalf("GET /login while limited: %d", p.StatusCode)
	}
	// Sign-up has its own bucket and the same limit.
	form = e.get(c, "/signup")
	token = csrfFrom(t, form)
	for range 4 {
		last = e.post(c, "/signup", url.Values{"csrf_token": {token}, "email": {"bad"}})
	}
	if last.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("fourth sign-up post: status %d, want 429", last.StatusCode)
	}
}

// Failed and throttled logins are in the audit trail (L4, L7) with no
// password or email in the detail.
func TestFailedAndThrottledLoginsAreAudited(t *testing.T) {
	e := newEnv(t)
	email := uniqueEmail("audited")
	e.mustSignup(e.browser(), email)
	c := e.browser()
	for range 6 {
		e.login(c, email, "a wrong password")
	}
	rows, err := tdb.Admin(t).Query(context.Background(), `
		SELECT outcome, detail->>'reason', actor IS NOT NULL, detail::text FROM audit_events
		WHERE event_type = 'auth.login' ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var failures, throttled int
	for rows.Next() {
		var outcome, reason, detail string
		var hasActor bool
		if err := rows.Scan(&outcome, &reason, &hasActor, &detail); err != nil {
			t.Fatal(err)
		}
		switch {
		case outcome == "failure" && reason == "bad_credentials" && hasActor:
			failures++
		case outcome == "denied" && reason == "throttled":
			throttled++
		default:
			t.Errorf("unexpected audit row: %s %s actor=%v %s", outcome, reason, hasActor, detail)
		}
		for _, secret := range []string{email, "a wrong password"} {
			if strings.Contains(detail, secret) {
				t.Errorf("audit detail %s contains %q", detail, secret)
			}
		}
	}
	if failures != 5 || throttled != 1 {
		t.Fatalf("audited %d failures and %d throttled, want 5 and 1", failures, throttled)
	}
}

// A burst of concurrent guesses gets exactly the threshold's worth of
// password checks: each attempt is counted before its check (under the
// row lock), so the fifth starts the lockout and the rest are refused
// without one. Counted only after the check, all of them would pass a
// check none had been counted against yet (A7).
func TestConcurrentGuessesGetNoMoreChecksThanTheThreshold(t *testing.T) {
	e := newEnv(t, pinnedHashing, func(o *envConfig) {
		o.RateLimit = account.RateLimit{Requests: 1000, Window: time.Minute}
	})
	email := uniqueEmail("burst")
	e.mustSignup(e.browser(), email)
	c := e.browser()
	token := csrfFrom(t, e.get(c, "/login"))
	const guesses = 12
	statuses := make(chan int, guesses)
	var wg sync.WaitGroup
	for i := range guesses {
		wg.Add(1)
		go func() {
			defer wg.Done()
			form := url.Values{"csrf_token": {token}, "email": {email}, "password": {"wrong guess " + strconv.Itoa(i)}}
			req, err := http.NewRequest(http.MethodPost, e.srv.URL+"/login", strings.NewReader(form.Encode()))
			if err != nil {
				t.Error(err)
				return
			}
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			resp, err := c.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			statuses <- resp.StatusCode
		}()
	}
	wg.Wait()
	close(statuses)
	counts := map[int]int{}
	for s := range statuses {
		counts[s]++
	}
	if counts[http.StatusOK] != 5 || counts[http.StatusTooManyRequests] != guesses-5 {
		t.Fatalf("answers %v: want 5 checked guesses (200, wrong password) and %d refused (429)", counts, guesses-5)
	}
	var checked int
	if err := tdb.Admin(t).QueryRow(context.Background(), `SELECT count(*) FROM audit_events
		WHERE event_type = 'auth.login' AND detail->>'reason' = 'bad_credentials'`).Scan(&checked); err != nil {
		t.Fatal(err)
	}
	if checked != 5 {
		t.Fatalf("%d passwords were checked, want 5 (the threshold)", checked)
	}
}

// withKeys makes the server use the keyring spec.
func withKeys(t *testing.T, spec string) envOption {
	t.Helper()
	keys, err := keyring.Parse(spec)
	if err != nil {
		t.Fatal(err)
	}
	return func(o *envConfig) { o.Keys = keys }
}

func threeStrikesPerIP(o *envConfig) {
	o.IPThrottle = account.ThrottlePolicy{Threshold: 3, Lockout: 5 * time.Minute, MaxLockout: time.Hour, Forget: time.Hour}
}

// The per-IP counter is stored under an HMAC with the server's key: not
// the SHA-256 of the address (all five stored addresses were recovered
// from those in 0.74 s), and useless to a server with another key.
func TestFailedLoginStoresOnlyAKeyedHashOfTheIP(t *testing.T) {
	spec := mustKeySpec(t, "t1")
	e := newEnv(t, threeStrikesPerIP, withKeys(t, spec))
	victim := uniqueEmail("victim")
	e.mustSignup(e.browser(), victim)
	c := e.browser()
	for i := range 3 {
		e.login(c, uniqueEmail("spray"+strconv.Itoa(i)), "wrong password")
	}
	rows, err := tdb.Admin(t).Query(context.Background(), `SELECT subject FROM login_throttle WHERE scope = 'ip'`)
	if err != nil {
		t.Fatal(err)
	}
	stored, err := pgx.CollectRows(rows, pgx.RowTo[[]byte])
	if err != nil || len(stored) != 1 {
		t.Fatalf("per-IP rows: %d %v", len(stored), err)
	}
	for _, plain := range []string{"127.0.0.1", "ip\x00127.0.0.1", "::1", "ip\x00::1"} {
		if sum := sha256.Sum256([]byte(plain)); bytes.Equal(stored[0], sum[:]) {
			t.Fatalf("the stored subject is SHA-256(%q)", plain)
		}
	}
	if p := e.login(c, victim, testPassword); p.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("locked IP: status %d", p.StatusCode)
	}
	// A server with a different key cannot name the row: the IP is not
	// recognisable from the database alone.
	other := startEnvOn(t, tdb.AppURL, false, threeStrikesPerIP, withKeys(t, mustKeySpec(t, "t1")))
	if p := other.login(other.browser(), victim, testPassword); p.StatusCode != http.StatusSeeOther {
		t.Fatalf("another key found the IP's lockout: status %d", p.StatusCode)
	}
}

// Rotating TASKBRIDGE_ENCRYPTION_KEYS keeps the per-IP throttle: a lockout
// made under the old key holds, and failures counted under it go on being
// counted, then live on under the new key once the old one is removed.
func TestIPThrottleHoldsAcrossKeyRotation(t *testing.T) {
	oldSpec, newSpec := mustKeySpec(t, "t1"), mustKeySpec(t, "t2")
	before := newEnv(t, threeStrikesPerIP, withKeys(t, oldSpec))
	victim := uniqueEmail("victim")
	before.mustSignup(before.browser(), victim)
	for i := range 2 {
		before.login(before.browser(), uniqueEmail("spray"+strconv.Itoa(i)), "wrong password")
	}
	rotated := startEnvOn(t, tdb.AppURL, false, threeStrikesPerIP, withKeys(t, newSpec+","+oldSpec))
	rotated.login(rotated.browser(), uniqueEmail("spray2"), "wrong password") // the third failure
	if p := rotated.login(rotated.browser(), victim, testPassword); p.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("after rotation, the third failure did not lock the IP: status %d", p.StatusCode)
	}
	after := startEnvOn(t, tdb.AppURL, false, threeStrikesPerIP, withKeys(t, newSpec))
	if p := after.login(after.browser(), victim, testPassword); p.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("with the old key removed: status %d", p.StatusCode)
	}

	// A lockout made before the rotation holds after it.
	tdb.Reset(t)
	before = startEnvOn(t, tdb.AppURL, false, threeStrikesPerIP, withKeys(t, oldSpec))
	before.mustSignup(before.browser(), victim)
	for i := range 3 {
		before.login(before.browser(), uniqueEmail("spray"+strconv.Itoa(i)), "wrong password")
	}
	rotated = startEnvOn(t, tdb.AppURL, false, threeStrikesPerIP, withKeys(t, newSpec+","+oldSpec))
	if p := rotated.login(rotated.browser(), victim, testPassword); p.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("a lockout from before the rotation: status %d", p.StatusCode)
	}
}

func mustKeySpec(t *testing.T, id string) string {
	t.Helper()
	s, err := keyring.Generate(id)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
