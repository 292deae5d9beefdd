package account_test

import (
	"net/http"
	"net/url"
	"testing"
)

// TestDatabaseOutageIs503WithRetryAfter: a form post the database cannot
// serve gets 503 and a retry hint, not the 500 of a server bug (I8).
func TestDatabaseOutageIs503WithRetryAfter(t *testing.T) {
	e := newEnv(t)
	c := e.browser()
	form := url.Values{"email": {"someone@example.test"}, "password": {testPassword}}
	form.Set("csrf_token", csrfFrom(t, e.get(c, "/login")))
	e.db.Close() // the pool is gone: every query fails as unavailable
	p := e.post(c, "/login", form)
	if p.StatusCode != http.StatusServiceUnavailable || p.Header.Get("Retry-After") == "" {
		t.Fatalf("login with the database gone: %d, Retry-After %q\n%s", p.StatusCode, p.Header.Get("Retry-After"), p.body)
	}
}
