package account_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/taskbridge/taskbridge/internal/account"
	"github.com/taskbridge/taskbridge/internal/identity"
)

// Layer one: a browser-marked cross-site post, or one whose Origin is
// another site, is refused with the 403 page before any handler runs.
func TestCrossOriginFormPostRefused(t *testing.T) {
	e := newEnv(t)
	email := uniqueEmail("cross")
	e.mustSignup(e.browser(), email)
	for name, hdr := range map[string][]string{
		"Sec-Fetch-Site cross-site": {"Sec-Fetch-Site", "cross-site"},
		"Origin of another site":    {"Origin", "https://evil.example"},
	} {
		t.Run(name, func(t *testing.T) {
			c := e.browser()
			token := csrfFrom(t, e.get(c, "/login"))
			p := e.post(c, "/login", url.Values{"csrf_token": {token}, "email": {email}, "password": {testPassword}}, hdr...)
			if p.StatusCode != http.StatusForbidden {
				t.Fatalf("cross-origin login post: status %d, want 403", p.StatusCode)
			}
			if e.signedIn(c) {
				t.Fatal("cross-origin login signed the browser in")
			}
		})
	}
	// A same-origin post with the right token is accepted.
	c := e.browser()
	token := csrfFrom(t, e.get(c, "/login"))
	p := e.post(c, "/login", url.Values{"csrf_token": {token}, "email": {email}, "password": {testPassword}},
		"Sec-Fetch-Site", "same-origin", "Origin", e.srv.URL)
	if p.StatusCode != http.StatusSeeOther {
		t.Fatalf("same-origin login: %d", p.StatusCode)
	}
}

// Layer two: a post without the token, or with a wrong one, is refused
// even when the browser sends no Fetch-metadata or Origin header.
func TestFormPostWithoutValidCSRFTokenRefused(t *testing.T) {
	e := newEnv(t)
	email := uniqueEmail("token")
	signedIn := e.browser()
	e.mustSignup(signedIn, email)

	anon := e.browser()
	e.get(anon, "/login") // sets the form nonce cookie
	other := e.browser()
	otherToken := csrfFrom(t, e.get(other, "/login")) // bound to another browser's nonce

	cases := []struct {
		name   string
		c      *http.Client
		path   string
		values url.Values
	}{
		{"login without token", anon, "/login", url.Values{"email": {email}, "password": {testPassword}}},
		{"login with garbage token", anon, "/login", url.Values{"csrf_token": {"t1.AAAA"}, "email": {email}, "password": {testPassword}}},
		{"login with another browser's token", anon, "/login", url.Values{"csrf_token": {otherToken}, "email": {email}, "password": {testPassword}}},
		{"signup without token", anon, "/signup", url.Values{"email": {uniqueEmail("x")}, "password": {testPassword}, "password_confirm": {testPassword}, "consent": {"yes"}}},
		{"logout without token", signedIn, "/logout", url.Values{}},
		{"logout with an anonymous-form token", signedIn, "/logout", url.Values{"csrf_token": {otherToken}}},
		{"revoke without token", signedIn, "/account/connected-apps/revoke", url.Values{"grant_id": {uuid.NewString()}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := e.post(tc.c, tc.path, tc.values)
			if p.StatusCode != http.StatusForbidden || !strings.Contains(p.body, "Form expired") {
				t.Fatalf("status %d, want the 403 page\n%s", p.StatusCode, p.body)
			}
		})
	}
	if e.signedIn(anon) {
		t.Fatal("a login without a valid token signed in")
	}
	if !e.signedIn(signedIn) {
		t.Fatal("a logout without a valid token ended the session")
	}
}

// An anonymous form token expires (two hours), so a harvested one does
// not stay usable.
func TestAnonymousFormTokenExpires(t *testing.T) {
	e := newEnv(t)
	email := uniqueEmail("stale")
	e.mustSignup(e.browser(), email)
	c := e.browser()
	token := csrfFrom(t, e.get(c, "/login"))
	e.clock.Advance(2*time.Hour + time.Second)
	p := e.post(c, "/login", url.Values{"csrf_token": {token}, "email": {email}, "password": {testPassword}})
	if p.StatusCode != http.StatusForbidden {
		t.Fatalf("expired form token: status %d, want 403", p.StatusCode)
	}
}

// fakeGrants is an in-memory GrantLister that records revocations.
type fakeGrants struct {
	mu      sync.Mutex
	grants  map[uuid.UUID][]account.GrantView
	revoked []uuid.UUID
}

func (f *fakeGrants) ListGrants(_ context.Context, user uuid.UUID) ([]account.GrantView, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.grants[user], nil
}

func (f *fakeGrants) RevokeGrant(_ context.Context, user, grant uuid.UUID) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	kept := f.grants[user][:0]
	for _, g := range f.grants[user] {
		if g.ID == grant {
			f.revoked = append(f.revoked, grant)
			continue
		}
		kept = append(kept, g)
	}
	f.grants[user] = kept
	if len(f.revoked) == 0 || f.revoked[len(f.revoked)-1] != grant {
		return account.ErrGrantNotFound
	}
	return nil
}

// The Connected apps section renders what the GrantLister returns (scopes
// in plain words, the client name escaped) and revokes through a CSRF-
// protected POST, for the signed-in user only.
func TestConnectedAppsListedAndRevokedWithCSRF(t *testing.T) {
	grants := &fakeGrants{grants: map[uuid.UUID][]account.GrantView{}}
	e := newEnv(t, func(o *envConfig) { o.Grants = grants })
	c := e.browser()
	email := uniqueEmail("apps")
	e.mustSignup(c, email)
	var userID uuid.UUID
	if err := tdb.Admin(t).QueryRow(context.Background(), `SELECT id FROM users WHERE email = $1`, email).Scan(&userID); err != nil {
		t.Fatal(err)
	}
	grantID := uuid.New()
	grants.grants[userID] = []account.GrantView{{
		ID: grantID, ClientName: `<b>Evil</b> "app"`, ClientID: "client-123",
		Scopes:    []identity.Scope{identity.ScopeTasksRead, identity.ScopeTasksWrite},
		CreatedAt: e.clock.Now(),
	}}
	p := e.get(c, "/account")
	for _, want := range []string{"&lt;b&gt;Evil&lt;/b&gt;", "See and download your tasks", "Create, change and delete your tasks", "never used", grantID.String()} {
		if !strings.Contains(p.body, want) {
			t.Errorf("account page lacks %q", want)
		}
	}
	if strings.Contains(p.body, "<b>Evil</b>") {
		t.Error("client name rendered as HTML")
	}
	p = e.post(c, "/account/connected-apps/revoke", url.Values{"csrf_token": {csrfFrom(t, p)}, "grant_id": {grantID.String()}})
	if p.StatusCode != http.StatusSeeOther || p.Header.Get("Location") != "/account?notice=disconnected" {
		t.Fatalf("revoke: %d %q", p.StatusCode, p.Header.Get("Location"))
	}
	if len(grants.revoked) != 1 || grants.revoked[0] != grantID {
		t.Fatalf("revoked %v, want [%s]", grants.revoked, grantID)
	}
	if p := e.get(c, "/account?notice=disconnected"); !strings.Contains(p.body, "No apps are connected") || !strings.Contains(p.body, "was disconnected") {
		t.Fatalf("account page after revoke:\n%s", p.body)
	}
}
