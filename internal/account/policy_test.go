package account_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/taskbridge/taskbridge/internal/account"
	"github.com/taskbridge/taskbridge/internal/audit"
	"github.com/taskbridge/taskbridge/internal/postgres"
)

// policyVersions lists the privacy-policy versions userID has accepted.
func (e *env) policyVersions(userID uuid.UUID) []string {
	e.t.Helper()
	var out []string
	err := e.db.InUserTx(context.Background(), userID, func(tx postgres.Querier) error {
		rows, err := tx.Query(context.Background(),
			`SELECT version FROM consents WHERE user_id = $1 AND document = 'privacy_policy' ORDER BY accepted_at`, userID)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, pgx.RowTo[string])
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return out
}

// consented asks the service, with c's cookies, who may link an app.
func (e *env) consented(c *http.Client) (signedIn, consented bool) {
	e.t.Helper()
	r := httptest.NewRequest(http.MethodGet, e.srv.URL+"/authorize", nil)
	u, _ := url.Parse(e.srv.URL)
	for _, ck := range c.Jar.Cookies(u) {
		r.AddCookie(ck)
	}
	_, signedIn = e.svc.CurrentUser(r)
	_, consented = e.svc.ConsentedUser(r)
	return signedIn, consented
}

func (e *env) operatorUser(email string) uuid.UUID {
	e.t.Helper()
	keys, err := audit.EphemeralKeys()
	if err != nil {
		e.t.Fatal(err)
	}
	u, err := account.CreateUser(context.Background(), e.db, postgres.NewAuditLog(keys), email, testPassword, "test")
	if err != nil {
		e.t.Fatal(err)
	}
	return u.ID
}

// TestOperatorCreatedAccountAcceptsThePolicyAtFirstSignIn: an account made
// with `taskbridge users create` has no consent record (C3). Its first
// sign-in goes to the policy consent page; until the box is ticked the
// user counts as signed in for their own account pages but not for linking
// an app; ticking it records the version and the audit event, then returns
// to where the user was going.
func TestOperatorCreatedAccountAcceptsThePolicyAtFirstSignIn(t *testing.T) {
	e := newEnv(t)
	email := uniqueEmail("operator")
	id := e.operatorUser(email)
	c := e.browser()

	next := "/authorize?client_id=x&state=s"
	p := e.login(c, email, testPassword, next)
	if p.StatusCode != http.StatusSeeOther || p.Header.Get("Location") != account.PolicyConsentURL(next) {
		t.Fatalf("first sign-in: %d %q, want 303 to %q", p.StatusCode, p.Header.Get("Location"), account.PolicyConsentURL(next))
	}
	if in, ok := e.consented(c); !in || ok {
		t.Fatalf("before consent: signed in %v, may link apps %v; want true, false", in, ok)
	}
	// The login page (where the OAuth server sends a user it does not
	// accept) forwards a signed-in user without consent to the consent page.
	if p := e.get(c, account.LoginURL(next)); p.StatusCode != http.StatusSeeOther || p.Header.Get("Location") != account.PolicyConsentURL(next) {
		t.Fatalf("login page while signed in without consent: %d %q", p.StatusCode, p.Header.Get("Location"))
	}
	acct := e.get(c, "/account")
	if acct.StatusCode != http.StatusOK || !strings.Contains(acct.body, "You have not accepted the current") {
		t.Fatalf("account page: %d, want it reachable with a notice about the policy:\n%s", acct.StatusCode, acct.body)
	}

	form := e.get(c, account.PolicyConsentURL(next))
	if form.StatusCode != http.StatusOK || !strings.Contains(form.body, `name="consent"`) ||
		!strings.Contains(form.body, "version "+account.DefaultPrivacyPolicyVersion) || !strings.Contains(form.body, `href="/privacy"`) {
		t.Fatalf("consent page: %d\n%s", form.StatusCode, form.body)
	}
	token := csrfFrom(t, form)

	// Not ticked: refused, nothing stored.
	if p := e.post(c, account.PolicyConsentPath, url.Values{"csrf_token": {token}, "next": {next}}); p.StatusCode != http.StatusBadRequest {
		t.Fatalf("unticked box: %d, want 400", p.StatusCode)
	}
	// Ticked, but without the session's CSRF token: refused, nothing stored.
	if p := e.post(c, account.PolicyConsentPath, url.Values{"consent": {"yes"}, "next": {next}}); p.StatusCode != http.StatusForbidden {
		t.Fatalf("no CSRF token: %d, want 403", p.StatusCode)
	}
	if got := e.policyVersions(id); len(got) != 0 {
		t.Fatalf("refused posts stored consent %v", got)
	}

	p = e.post(c, account.PolicyConsentPath, url.Values{"csrf_token": {token}, "consent": {"yes"}, "next": {next}})
	if p.StatusCode != http.StatusSeeOther || p.Header.Get("Location") != next {
		t.Fatalf("accept: %d %q, want 303 back to %q", p.StatusCode, p.Header.Get("Location"), next)
	}
	if got := e.policyVersions(id); len(got) != 1 || got[0] != account.DefaultPrivacyPolicyVersion {
		t.Fatalf("consent records %v, want exactly [%s]", got, account.DefaultPrivacyPolicyVersion)
	}
	if n := countAudit(t, "auth.privacy_consent"); n != 1 {
		t.Fatalf("%d auth.privacy_consent audit events, want 1", n)
	}
	if in, ok := e.consented(c); !in || !ok {
		t.Fatalf("after consent: signed in %v, may link apps %v; want both", in, ok)
	}
	if p := e.get(c, account.LoginURL(next)); p.Header.Get("Location") != next {
		t.Fatalf("login page after consent sends to %q, want %q", p.Header.Get("Location"), next)
	}
	// Accepting again (a second tab) stores nothing more.
	e.post(c, account.PolicyConsentPath, url.Values{"csrf_token": {token}, "consent": {"yes"}})
	if got := e.policyVersions(id); len(got) != 1 {
		t.Fatalf("a second acceptance stored another row: %v", got)
	}
	// The next sign-in goes straight on.
	other := e.browser()
	if p := e.login(other, email, testPassword, "/account"); p.Header.Get("Location") != "/account" {
		t.Fatalf("later sign-in: %q, want /account", p.Header.Get("Location"))
	}
}

// TestNewPolicyVersionIsAskedFor: after the policy's version number
// changes, a user who accepted the old one is asked again before linking
// an app, and the new acceptance is kept next to the old.
func TestNewPolicyVersionIsAskedFor(t *testing.T) {
	e := newEnv(t)
	email := uniqueEmail("returning")
	c := e.browser()
	e.mustSignup(c, email)
	if _, ok := e.consented(c); !ok {
		t.Fatal("sign-up with the box ticked: the user may not link apps")
	}

	v2 := startEnvOn(t, tdb.AppURL, false, func(o *envConfig) { o.Session.PrivacyPolicyVersion = "2" })
	c2 := v2.browser()
	p := v2.login(c2, email, testPassword)
	if p.StatusCode != http.StatusSeeOther || p.Header.Get("Location") != account.PolicyConsentURL("/account") {
		t.Fatalf("sign-in under version 2: %d %q", p.StatusCode, p.Header.Get("Location"))
	}
	if _, ok := v2.consented(c2); ok {
		t.Fatal("acceptance of version 1 counted for version 2")
	}
	form := v2.get(c2, account.PolicyConsentPath)
	v2.post(c2, account.PolicyConsentPath, url.Values{"csrf_token": {csrfFrom(t, form)}, "consent": {"yes"}})
	var id uuid.UUID
	if err := tdb.Admin(t).QueryRow(context.Background(), `SELECT id FROM users WHERE email = $1`, email).Scan(&id); err != nil {
		t.Fatal(err)
	}
	if got := v2.policyVersions(id); len(got) != 2 || got[0] != "1" || got[1] != "2" {
		t.Fatalf("consent records %v, want [1 2]", got)
	}
	if _, ok := v2.consented(c2); !ok {
		t.Fatal("after accepting version 2 the user still may not link apps")
	}
}

func countAudit(t *testing.T, eventType string) int {
	t.Helper()
	var n int
	if err := tdb.Admin(t).QueryRow(context.Background(), `SELECT count(*) FROM audit_events WHERE event_type = $1`, eventType).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
