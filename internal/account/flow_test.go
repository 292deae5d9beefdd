package account_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/alexedwards/argon2id"

	"github.com/taskbridge/taskbridge/internal/account"
)

func TestSignupLoginAccountLogoutFlow(t *testing.T) {
	e := newEnv(t)
	c := e.browser()
	email := uniqueEmail("flow")

	e.mustSignup(c, email)
	acct := e.get(c, "/account")
	if acct.StatusCode != http.StatusOK || !strings.Contains(acct.body, email) {
		t.Fatalf("account page after sign-up: %d\n%s", acct.StatusCode, acct.body)
	}
	if !strings.Contains(acct.body, "Connected apps") || !strings.Contains(acct.body, "No apps are connected") {
		t.Errorf("account page lacks the empty Connected apps section:\n%s", acct.body)
	}

	if p := e.logout(c); p.StatusCode != http.StatusSeeOther || p.Header.Get("Location") != "/login" {
		t.Fatalf("logout: %d %q", p.StatusCode, p.Header.Get("Location"))
	}
	if e.signedIn(c) {
		t.Fatal("still signed in after logout")
	}

	p := e.login(c, strings.ToUpper(email), testPassword)
	if p.StatusCode != http.StatusSeeOther || p.Header.Get("Location") != "/account" {
		t.Fatalf("login: %d %q\n%s", p.StatusCode, p.Header.Get("Location"), p.body)
	}
	if !e.signedIn(c) {
		t.Fatal("not signed in after login")
	}
}

func TestLoginWrongPasswordShowsGenericError(t *testing.T) {
	e := newEnv(t)
	email := uniqueEmail("wrong")
	e.mustSignup(e.browser(), email)

	c := e.browser()
	p := e.login(c, email, "not the password at all")
	if !strings.Contains(p.body, "Email or password is incorrect.") {
		t.Fatalf("no generic error:\n%s", p.body)
	}
	if e.signedIn(c) {
		t.Fatal("a wrong password signed the browser in")
	}
}

// The response to an unknown email must be indistinguishable from a wrong
// password: same status, same page apart from the per-form token.
func TestLoginUnknownEmailGetsSameResponseAsWrongPassword(t *testing.T) {
	e := newEnv(t)
	known := uniqueEmail("known")
	e.mustSignup(e.browser(), known)
	unknown := uniqueEmail("nobody")

	wrong := e.login(e.browser(), known, "not the password at all")
	missing := e.login(e.browser(), unknown, "not the password at all")
	if wrong.StatusCode != missing.StatusCode {
		t.Fatalf("status differs: wrong password %d, unknown email %d", wrong.StatusCode, missing.StatusCode)
	}
	normalize := func(p page, email string) string {
		s := csrfField.ReplaceAllString(p.body, "")
		return strings.ReplaceAll(s, email, "EMAIL")
	}
	if normalize(wrong, known) != normalize(missing, unknown) {
		t.Fatalf("bodies differ:\n--- wrong password\n%s\n--- unknown email\n%s", wrong.body, missing.body)
	}
	if e.metrics.failed != 2 {
		t.Errorf("LoginFailed counted %d, want 2", e.metrics.failed)
	}
}

func TestSignupRejectsWeakPasswordsAndMismatch(t *testing.T) {
	e := newEnv(t)
	for name, pw := range map[string]string{
		"too short":      "short pw",
		"common":         "Password1234",
		"one character":  "aaaaaaaaaaaaaaa",
		"contains email": "weakling-2024-xyz",
	} {
		t.Run(name, func(t *testing.T) {
			c := e.browser()
			p := e.signup(c, "weakling@example.test", pw)
			if p.StatusCode != http.StatusBadRequest {
				t.Fatalf("status %d, want 400\n%s", p.StatusCode, p.body)
			}
			if e.signedIn(c) {
				t.Fatal("weak password created an account")
			}
		})
	}
	c := e.browser()
	form := e.get(c, "/signup")
	p := e.post(c, "/signup", url.Values{"csrf_token": {csrfFrom(t, form)}, "email": {"mismatch@example.test"},
		"password": {testPassword}, "password_confirm": {testPassword + "x"}, "consent": {"yes"}})
	if p.StatusCode != http.StatusBadRequest || !strings.Contains(p.body, "do not match") {
		t.Fatalf("mismatched confirmation: %d\n%s", p.StatusCode, p.body)
	}
}

func TestSignupWithExistingEmailIsRefused(t *testing.T) {
	e := newEnv(t)
	email := uniqueEmail("twice")
	e.mustSignup(e.browser(), email)
	p := e.signup(e.browser(), strings.ToUpper(email), testPassword)
	if p.StatusCode != http.StatusBadRequest || !strings.Contains(p.body, "already exists") {
		t.Fatalf("second sign-up: %d\n%s", p.StatusCode, p.body)
	}
}

// Sign-up records consent to the privacy policy (C3): without the box
// ticked nothing is stored; with it, a consents row names the version.
func TestSignupRequiresAndRecordsPrivacyConsent(t *testing.T) {
	e := newEnv(t, func(o *envConfig) { o.Session.PrivacyPolicyVersion = "2026-05" })
	c := e.browser()
	email := uniqueEmail("consent")
	form := e.get(c, "/signup")
	if !strings.Contains(form.body, `href="/privacy"`) || !strings.Contains(form.body, "2026-05") {
		t.Errorf("sign-up form does not link the privacy policy with its version:\n%s", form.body)
	}
	p := e.post(c, "/signup", url.Values{"csrf_token": {csrfFrom(t, form)}, "email": {email},
		"password": {testPassword}, "password_confirm": {testPassword}})
	if p.StatusCode != http.StatusBadRequest {
		t.Fatalf("sign-up without consent: %d", p.StatusCode)
	}
	admin := tdb.Admin(t)
	var n int
	if err := admin.QueryRow(context.Background(), `SELECT count(*) FROM users WHERE email = $1`, email).Scan(&n); err != nil || n != 0 {
		t.Fatalf("user stored without consent: n=%d err=%v", n, err)
	}

	e.mustSignup(c, email)
	var version string
	var at time.Time
	err := admin.QueryRow(context.Background(), `
		SELECT c.version, c.accepted_at FROM consents c JOIN users u ON u.id = c.user_id
		WHERE u.email = $1 AND c.document = 'privacy_policy'`, email).Scan(&version, &at)
	if err != nil {
		t.Fatal(err)
	}
	if version != "2026-05" || !at.Equal(e.clock.Now()) {
		t.Fatalf("consent recorded as version %q at %s, want 2026-05 at %s", version, at, e.clock.Now())
	}
}

func TestPasswordStoredAsArgon2idWithPinnedParams(t *testing.T) {
	e := newEnv(t, pinnedHashing)
	email := uniqueEmail("hash")
	e.mustSignup(e.browser(), email)

	var stored string
	err := tdb.Admin(t).QueryRow(context.Background(), `
		SELECT c.password_hash FROM credentials c JOIN users u ON u.id = c.user_id WHERE u.email = $1`, email).Scan(&stored)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(stored, testPassword) {
		t.Fatal("the password itself is stored")
	}
	if !strings.HasPrefix(stored, "$argon2id$v=19$m=65536,t=3,p=2$") {
		t.Fatalf("stored hash %q does not carry the pinned parameters", stored)
	}
	params, salt, key, err := argon2id.DecodeHash(stored)
	if err != nil {
		t.Fatal(err)
	}
	if *params != account.PasswordParams() || len(salt) != 16 || len(key) != 32 {
		t.Fatalf("params %+v salt %d key %d", *params, len(salt), len(key))
	}
	if ok, err := argon2id.ComparePasswordAndHash(testPassword, stored); err != nil || !ok {
		t.Fatalf("stored hash does not verify the password: %v", err)
	}
}

// A hash made with other parameters still verifies and is replaced with a
// hash under the pinned parameters at that login.
func TestLoginRehashesPasswordMadeWithOldParams(t *testing.T) {
	e := newEnv(t, pinnedHashing)
	email := uniqueEmail("rehash")
	e.mustSignup(e.browser(), email)
	old, err := argon2id.CreateHash(testPassword, &argon2id.Params{Memory: 19 * 1024, Iterations: 2, Parallelism: 1, SaltLength: 16, KeyLength: 32})
	if err != nil {
		t.Fatal(err)
	}
	admin := tdb.Admin(t)
	ctx := context.Background()
	if _, err := admin.Exec(ctx, `UPDATE credentials SET password_hash = $1 WHERE user_id = (SELECT id FROM users WHERE email = $2)`, old, email); err != nil {
		t.Fatal(err)
	}
	if p := e.login(e.browser(), email, testPassword); p.StatusCode != http.StatusSeeOther {
		t.Fatalf("login with old-params hash: %d\n%s", p.StatusCode, p.body)
	}
	var now string
	if err := admin.QueryRow(ctx, `SELECT password_hash FROM credentials WHERE user_id = (SELECT id FROM users WHERE email = $1)`, email).Scan(&now); err != nil {
		t.Fatal(err)
	}
	if now == old || !strings.HasPrefix(now, "$argon2id$v=19$m=65536,t=3,p=2$") {
		t.Fatalf("hash not upgraded: %q", now)
	}
}
