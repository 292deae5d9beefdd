package privacy_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/taskbridge/taskbridge/internal/privacy"
)

// Someone else's failed logins do not stop the owner (D4, A7): a stranger
// who knows the email locks the login form with wrong passwords, and the
// owner, already signed in, still deletes the account with the right one.
func TestLoginLockoutDoesNotBlockTheSignedInOwnersErasure(t *testing.T) {
	e := newEnv(t)
	id, email := e.newUser("lockedout")
	owner := e.browser()
	e.mustLogin(owner, email)
	data := e.do(owner, "GET", privacy.AccountDataPath, nil, nil)

	stranger := e.browser()
	for range 6 {
		e.login(stranger, email, "a wrong guess 123")
	}
	if p := e.login(e.browser(), email, testPassword); p.status != http.StatusTooManyRequests {
		t.Fatalf("after the stranger's guesses the login form answers %d, want 429 (the account is locked)", p.status)
	}

	p := e.do(owner, "POST", "/account/delete", url.Values{"csrf_token": {csrfOf(t, data)}, "password": {testPassword},
		"confirmation": {privacy.ConfirmationPhrase}}, nil)
	if p.status != http.StatusOK || !strings.Contains(p.body, "Your account is deleted") {
		t.Fatalf("the owner's erasure during the login lockout: %d, want 200\n%s", p.status, p.body)
	}
	var n int
	if err := e.admin().QueryRow(context.Background(), `SELECT count(*) FROM users WHERE id = $1`, id).Scan(&n); err != nil || n != 0 {
		t.Fatalf("the account is still there (%d rows, %v)", n, err)
	}
}

// The erasure form's password is limited per session: after the threshold
// of wrong passwords this session gets 429 with Retry-After, even with the
// right password, and nothing is deleted; those failures do not lock the
// login form, and another session of the owner is not limited.
func TestErasurePasswordIsLimitedPerSession(t *testing.T) {
	e := newEnv(t)
	id, email := e.newUser("reauth")
	borrowed := e.browser()
	e.mustLogin(borrowed, email)
	tok := csrfOf(t, e.do(borrowed, "GET", privacy.AccountDataPath, nil, nil))
	erase := func(c *http.Client, csrf, password string) page {
		return e.do(c, "POST", "/account/delete", url.Values{"csrf_token": {csrf}, "password": {password},
			"confirmation": {privacy.ConfirmationPhrase}}, nil)
	}
	for i := range 5 {
		if p := erase(borrowed, tok, "guess number 12"); p.status != http.StatusForbidden {
			t.Fatalf("wrong password %d: %d, want 403", i+1, p.status)
		}
	}
	p := erase(borrowed, tok, testPassword)
	if p.status != http.StatusTooManyRequests || p.header.Get("Retry-After") == "" || !strings.Contains(p.body, "too many wrong passwords") {
		t.Fatalf("the right password after 5 wrong ones in this session: %d (Retry-After %q), want 429\n%s",
			p.status, p.header.Get("Retry-After"), p.body)
	}
	var n int
	if err := e.admin().QueryRow(context.Background(), `SELECT count(*) FROM users WHERE id = $1`, id).Scan(&n); err != nil || n != 1 {
		t.Fatalf("the account is gone after a refused erasure (%d rows, %v)", n, err)
	}

	owner := e.browser()
	e.mustLogin(owner, email) // the session's failures did not lock the login
	p = erase(owner, csrfOf(t, e.do(owner, "GET", privacy.AccountDataPath, nil, nil)), testPassword)
	if p.status != http.StatusOK {
		t.Fatalf("erasure from another session of the owner: %d, want 200\n%s", p.status, p.body)
	}
}
