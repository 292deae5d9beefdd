package account_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/taskbridge/taskbridge/internal/account"
	"github.com/taskbridge/taskbridge/internal/postgres"
)

// A cookie planted before login (session fixation) is not the one in use
// after it: every login issues a new id, and logging in again replaces the
// previous session, whose cookie stops working.
func TestSessionIDChangesAtLogin(t *testing.T) {
	e := newEnv(t)
	email := uniqueEmail("fixation")
	e.mustSignup(e.browser(), email)

	c := e.browser()
	u, _ := url.Parse(e.srv.URL)
	planted := "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	c.Jar.SetCookies(u, []*http.Cookie{{Name: "tb_session", Value: planted, Path: "/"}})
	token := csrfFrom(t, e.get(c, "/login"))
	if p := e.post(c, "/login", url.Values{"csrf_token": {token}, "email": {email}, "password": {testPassword}}); p.StatusCode != http.StatusSeeOther {
		t.Fatalf("login: %d", p.StatusCode)
	}
	first := e.sessionCookie(c, "tb_session")
	if first == "" || first == planted {
		t.Fatalf("session cookie after login is %q (planted %q)", first, planted)
	}

	// A signed-in browser is sent past the login page, so post the form
	// with the token it rendered before.
	if p := e.post(c, "/login", url.Values{"csrf_token": {token}, "email": {email}, "password": {testPassword}}); p.StatusCode != http.StatusSeeOther {
		t.Fatalf("second login: %d", p.StatusCode)
	}
	second := e.sessionCookie(c, "tb_session")
	if second == first {
		t.Fatal("logging in again kept the same session id")
	}
	old := e.browser()
	old.Jar.SetCookies(u, []*http.Cookie{{Name: "tb_session", Value: first, Path: "/"}})
	if e.signedIn(old) {
		t.Fatal("the session replaced by a new login still works")
	}
}

func cookieNamed(p page, name string) *http.Cookie {
	for _, c := range p.Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

func TestSessionCookieFlagsOverHTTPS(t *testing.T) {
	e := startEnv(t, true)
	c := e.browser()
	p := e.signup(c, uniqueEmail("https"), testPassword)
	ck := cookieNamed(p, "__Host-tb_session")
	if ck == nil {
		t.Fatalf("no __Host-tb_session cookie; Set-Cookie: %q", p.Header.Values("Set-Cookie"))
	}
	if !ck.Secure || !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/" || ck.Domain != "" {
		t.Fatalf("cookie flags: Secure=%v HttpOnly=%v SameSite=%v Path=%q Domain=%q", ck.Secure, ck.HttpOnly, ck.SameSite, ck.Path, ck.Domain)
	}
	if cookieNamed(p, "tb_session") != nil {
		t.Fatal("an unprefixed session cookie was also set over https")
	}
	form := cookieNamed(e.get(e.browser(), "/login"), "__Host-tb_form")
	if form == nil || !form.Secure || !form.HttpOnly {
		t.Fatalf("anonymous form cookie over https: %+v", form)
	}
}

func TestSessionCookieFlagsInDevOverHTTP(t *testing.T) {
	e := newEnv(t)
	p := e.signup(e.browser(), uniqueEmail("http"), testPassword)
	ck := cookieNamed(p, "tb_session")
	if ck == nil {
		t.Fatalf("no tb_session cookie; Set-Cookie: %q", p.Header.Values("Set-Cookie"))
	}
	if ck.Secure || !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/" {
		t.Fatalf("dev cookie flags: Secure=%v HttpOnly=%v SameSite=%v Path=%q", ck.Secure, ck.HttpOnly, ck.SameSite, ck.Path)
	}
}

// Logout deletes the session row, so a copy of the cookie replayed
// afterwards is refused.
func TestLogoutRevokesSessionServerSide(t *testing.T) {
	e := newEnv(t)
	c := e.browser()
	e.mustSignup(c, uniqueEmail("logout"))
	stolen := e.sessionCookie(c, "tb_session")
	e.logout(c)

	replay := e.browser()
	u, _ := url.Parse(e.srv.URL)
	replay.Jar.SetCookies(u, []*http.Cookie{{Name: "tb_session", Value: stolen, Path: "/"}})
	p := e.get(replay, "/account")
	if p.StatusCode != http.StatusSeeOther || p.Header.Get("Location") != "/login?next=%2Faccount" {
		t.Fatalf("replayed cookie after logout: %d %q", p.StatusCode, p.Header.Get("Location"))
	}
	var n int
	if err := tdb.Admin(t).QueryRow(context.Background(), `SELECT count(*) FROM sessions`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d session rows left after logout (err %v)", n, err)
	}
}

func TestSessionRefusedAfterAbsoluteLifetime(t *testing.T) {
	e := newEnv(t, func(o *envConfig) { o.Session.TTL = 2 * time.Hour; o.Session.IdleTimeout = time.Hour })
	c := e.browser()
	e.mustSignup(c, uniqueEmail("ttl"))
	// Active every 50 minutes, so the idle timeout never fires.
	for range 2 {
		e.clock.Advance(50 * time.Minute)
		if !e.signedIn(c) {
			t.Fatal("session ended before its lifetime")
		}
	}
	e.clock.Advance(21 * time.Minute) // 2h01m after login
	if e.signedIn(c) {
		t.Fatal("session still valid past its absolute lifetime")
	}
}

func TestSessionRefusedAfterIdleTimeout(t *testing.T) {
	e := newEnv(t) // idle timeout 30m
	c := e.browser()
	e.mustSignup(c, uniqueEmail("idle"))
	e.clock.Advance(29 * time.Minute)
	if !e.signedIn(c) {
		t.Fatal("session ended before the idle timeout")
	}
	e.clock.Advance(30 * time.Minute) // 30m after the last request
	if e.signedIn(c) {
		t.Fatal("session still valid after 30 idle minutes")
	}
}

// The retention job's session purge (account_purge_expired_sessions, run
// by internal/privacy) removes the idle session and keeps the live one.
func TestPurgeExpiredSessionsDeletesOnlyExpired(t *testing.T) {
	e := newEnv(t)
	old := uniqueEmail("old")
	e.mustSignup(e.browser(), old)
	fresh := e.browser()
	e.mustSignup(fresh, uniqueEmail("fresh"))
	ctx := context.Background()
	if _, err := tdb.Admin(t).Exec(ctx, `UPDATE sessions SET last_seen_at = now() - interval '31 minutes'
		WHERE user_id = (SELECT id FROM users WHERE email = $1)`, old); err != nil {
		t.Fatal(err)
	}
	n, err := purgeSessions(ctx, e.db)
	if err != nil || n != 1 {
		t.Fatalf("purged %d (err %v), want 1", n, err)
	}
	if !e.signedIn(fresh) {
		t.Fatal("purge removed a live session")
	}
}

// Row-level security: a transaction acting for one user sees none of
// another user's sessions, credentials or consents, even by id.
func TestRLSHidesOneUsersSessionRowsFromAnother(t *testing.T) {
	e := newEnv(t)
	alice, bob := uniqueEmail("alice"), uniqueEmail("bob")
	e.mustSignup(e.browser(), alice)
	e.mustSignup(e.browser(), bob)
	ctx := context.Background()
	ids := map[string]uuid.UUID{}
	for _, email := range []string{alice, bob} {
		var id uuid.UUID
		if err := tdb.Admin(t).QueryRow(ctx, `SELECT id FROM users WHERE email = $1`, email).Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids[email] = id
	}
	err := e.db.InUserTx(ctx, ids[bob], func(tx postgres.Querier) error {
		for _, table := range []string{"sessions", "credentials", "consents"} {
			var theirs, mine int
			if err := tx.QueryRow(ctx, `SELECT count(*) FILTER (WHERE user_id = $1), count(*) FILTER (WHERE user_id = $2) FROM `+table,
				ids[alice], ids[bob]).Scan(&theirs, &mine); err != nil {
				return err
			}
			if theirs != 0 || mine != 1 {
				t.Errorf("%s as bob: sees %d of alice's rows and %d of his own, want 0 and 1", table, theirs, mine)
			}
		}
		tag, err := tx.Exec(ctx, `DELETE FROM sessions WHERE user_id = $1`, ids[alice])
		if err != nil {
			return err
		}
		if tag.RowsAffected() != 0 {
			t.Errorf("bob deleted %d of alice's sessions", tag.RowsAffected())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// With no identity at all, nothing is visible.
	err = e.db.InSystemTx(ctx, func(tx postgres.Querier) error {
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM sessions`).Scan(&n); err != nil {
			return err
		}
		if n != 0 {
			t.Errorf("a transaction without identity sees %d sessions", n)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Deleting an account deletes its sessions (cascade): its cookie stops
// working at once.
func TestDeletingAccountEndsItsSessions(t *testing.T) {
	e := newEnv(t)
	c := e.browser()
	email := uniqueEmail("gone")
	e.mustSignup(c, email)
	if _, err := tdb.Admin(t).Exec(context.Background(), `DELETE FROM users WHERE email = $1`, email); err != nil {
		t.Fatal(err)
	}
	if e.signedIn(c) {
		t.Fatal("a deleted account's session still works")
	}
}

// purgeSessions runs one retention batch of the session purge as the
// server role, with the database's clock and the default idle timeout.
func purgeSessions(ctx context.Context, db *postgres.DB) (int64, error) {
	var n int64
	err := db.InSystemTx(ctx, func(tx postgres.Querier) error {
		return tx.QueryRow(ctx, `SELECT account_purge_expired_sessions(now(), $1, 1000)`, account.DefaultSessionIdleTimeout).Scan(&n)
	})
	return n, err
}
