package oauth_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/taskbridge/taskbridge/internal/audit"
	"github.com/taskbridge/taskbridge/internal/postgres"
	"github.com/taskbridge/taskbridge/internal/privacy"
)

// TestPurgesAreBatchedAndStopAtTheBoundary: each purge removes at most its
// limit per table, so a pass after a long outage runs as many short
// transactions; nothing goes a second before its expiry, everything goes
// at it (D3).
func TestPurgesAreBatchedAndStopAtTheBoundary(t *testing.T) {
	tdb.Reset(t) // the purges are global: only this test's rows may exist
	e := newEnv(t)
	ctx := context.Background()
	st := e.oauth.Store()
	c := e.publicClient()
	issued := e.clock.Now()
	for range 3 {
		e.login(e.newUser(), c, false)
	}
	codeExpiry := issued.Add(e.cfg.OAuth.CodeTTL)
	if n, err := st.PurgeExpiredCodes(ctx, codeExpiry.Add(-time.Second), 2); err != nil || n != 0 {
		t.Fatalf("a second before the codes expire: removed %d (%v), want 0", n, err)
	}
	for i, want := range []int64{2, 1, 0} {
		if n, err := st.PurgeExpiredCodes(ctx, codeExpiry, 2); err != nil || n != want {
			t.Fatalf("code batch %d at expiry: removed %d (%v), want %d", i, n, err, want)
		}
	}

	accessExpiry := issued.Add(e.cfg.OAuth.AccessTokenTTL)
	count := func(q string) int {
		var n int
		if err := tdb.Admin(t).QueryRow(ctx, q).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	const access = `SELECT count(*) FROM oauth_tokens WHERE kind = 'access'`
	before := count(access)
	if n, err := st.PurgeExpiredTokens(ctx, accessExpiry.Add(-time.Second), e.cfg.OAuth.RefreshGrace, 2); err != nil || n != 0 {
		t.Fatalf("a second before the access tokens expire: removed %d (%v), want 0", n, err)
	}
	if n, err := st.PurgeExpiredTokens(ctx, accessExpiry, e.cfg.OAuth.RefreshGrace, 2); err != nil || n != 2 {
		t.Fatalf("first token batch at expiry: removed %d (%v), want 2 (the limit)", n, err)
	}
	if got := count(access); got != before-2 {
		t.Fatalf("%d access tokens left after one batch of 2 from %d", got, before)
	}
	if count(`SELECT count(*) FROM oauth_token_families`) != 3 {
		t.Fatal("a family went before its absolute lifetime")
	}
}

// TestRegisteredClientsLiveWhileTheyMayBeUsed runs the real retention pass
// (A2): ChatGPT registers once per connection, possibly long before anyone
// signs in, and a host that finds its registration gone can only show
// invalid_client. With the default settings a registration nobody has used
// for 60 days still leads to the consent page; one that completed a grant
// stays as long as the grant exists, long after the unused-registration
// period; an unused one goes once that period has passed.
func TestRegisteredClientsLiveWhileTheyMayBeUsed(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	keys, err := audit.EphemeralKeys()
	if err != nil {
		t.Fatal(err)
	}
	r, err := privacy.NewRetention(privacy.RetentionOptions{DB: e.db, OAuth: e.oauth.Store(), Audit: postgres.NewAuditLog(keys)})
	if err != nil {
		t.Fatal(err)
	}
	pass := func() {
		t.Helper()
		if _, err := r.Run(ctx, e.clock.Now(), nil); err != nil {
			t.Fatal(err)
		}
	}
	// The retention pass refuses a clock ahead of the database's, so time
	// passes by moving the registrations back.
	age := func(d time.Duration, clients ...testClient) {
		t.Helper()
		for _, c := range clients {
			if _, err := tdb.Admin(t).Exec(ctx, `UPDATE oauth_clients SET created_at = created_at - $2::interval,
				expires_at = expires_at - $2::interval WHERE client_id = $1`, c.ID, d.String()); err != nil {
				t.Fatal(err)
			}
		}
	}
	user := e.newUser()
	b := e.browser(user)
	registeredEarly := e.publicClient()
	linked := e.publicClient()
	if tok := e.login(user, linked, false); tok.Refresh == "" {
		t.Fatal("no refresh token")
	}

	age(60*24*time.Hour, registeredEarly, linked)
	pass()
	e.consent(b, e.authorizeURL(registeredEarly, newPKCE(), nil)) // fails the test unless the consent page shows

	age(e.cfg.OAuth.ClientUnusedTTL, registeredEarly, linked)
	pass()
	if resp := e.getAs(b, e.authorizeURL(registeredEarly, newPKCE(), nil)); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("a registration unused for longer than %s: %d, want the local error page", e.cfg.OAuth.ClientUnusedTTL, resp.StatusCode)
	}
	tok := e.login(user, linked, false)
	if e.mcp("Bearer "+tok.Access).StatusCode != http.StatusOK {
		t.Fatal("the client with a grant does not work after the retention pass")
	}
}
