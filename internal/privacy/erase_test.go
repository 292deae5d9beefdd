package privacy_test

import (
	"context"
	"encoding/hex"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/taskbridge/taskbridge/internal/privacy"
)

// populate gives userID a row in every user-keyed table, through the
// production paths where they exist (a real failed login writes the
// throttle row, a real login the session), and returns the access token.
func (e *env) populate(userID uuid.UUID, email string) string {
	e.t.Helper()
	ctx := context.Background()
	e.createTask(userID, "Buy milk", "two litres, the secret note")
	e.createTask(userID, "Call mum", "")
	if _, err := e.admin().Exec(ctx, `INSERT INTO consents (user_id, document, version, accepted_at) VALUES ($1, 'privacy_policy', '1', now())`, userID); err != nil {
		e.t.Fatal(err)
	}
	tok, _ := e.grantFixture(userID, "tasks.read", "tasks.write")
	e.mustLogin(e.browser(), email) // before the failure: a good login clears the counter
	if p := e.login(e.browser(), email, "wrong password 123"); p.status == http.StatusSeeOther {
		e.t.Fatal("a wrong password signed in")
	}
	if p := e.do(http.DefaultClient, "DELETE", "/api/account", nil, bearer(tok)); p.status != http.StatusAccepted {
		e.t.Fatalf("DELETE /api/account: %d %s", p.status, p.body)
	}
	a := e.admin()
	for tbl, col := range userTables(e.t, a) {
		var n int
		if err := a.QueryRow(ctx, `SELECT count(*) FROM `+pgx.Identifier{tbl}.Sanitize()+` WHERE `+col+` = $1`, userID).Scan(&n); err != nil {
			e.t.Fatal(err)
		}
		if n == 0 {
			e.t.Fatalf("fixture gap: table %s has no row of the user; extend populate so erasure and export are tested on it", tbl)
		}
	}
	var throttled int
	if err := a.QueryRow(ctx, `SELECT count(*) FROM login_throttle WHERE scope = 'account'`).Scan(&throttled); err != nil || throttled == 0 {
		e.t.Fatalf("the failed login left no throttle row (%v)", err)
	}
	return tok
}

// traces counts, across every table of schema public, the rows whose text
// form contains needle (the whole row cast to text: every column).
func traces(t *testing.T, a *pgx.Conn, needle string) map[string]int {
	t.Helper()
	ctx := context.Background()
	rows, err := a.Query(ctx, `SELECT tablename FROM pg_tables WHERE schemaname = 'public'`)
	if err != nil {
		t.Fatal(err)
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]int{}
	for _, tbl := range tables {
		var n int
		q := `SELECT count(*) FROM ` + pgx.Identifier{tbl}.Sanitize() + ` x WHERE strpos(lower(x::text), lower($1)) > 0`
		if err := a.QueryRow(ctx, q, needle).Scan(&n); err != nil {
			t.Fatalf("%s: %v", tbl, err)
		}
		if n > 0 {
			found[tbl] = n
		}
	}
	return found
}

// Delete-my-data removes everything of the user in one go (D4, catalogue item 23):
// afterwards no table of the schema holds the user's id, email, the
// throttle hash of the email or the token hashes; the audit trail still
// has the user's events, under a pseudonym only; the old access token gets
// 401 at once; another user is untouched.
func TestEraseRemovesEveryTraceOfTheUser(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	victim, email := e.newUser("erase")
	tok := e.populate(victim, email)
	other, otherEmail := e.newUser("bystander")
	otherTok := e.populate(other, otherEmail)

	if p := e.do(http.DefaultClient, "GET", "/api/export", nil, bearer(tok)); p.status != http.StatusOK {
		t.Fatalf("export before erasure: %d", p.status)
	}
	subjects := e.auditLog.Subjects(victim)
	a := e.admin()
	var auditBefore int
	if err := a.QueryRow(ctx, `SELECT count(*) FROM audit_events WHERE actor = ANY($1)`, subjects).Scan(&auditBefore); err != nil || auditBefore == 0 {
		t.Fatalf("no audit events of the user before erasure (%v)", err)
	}

	report, err := e.privacy.EraseAccount(ctx, victim, "test")
	if err != nil {
		t.Fatal(err)
	}
	if report["tasks"] != 2 || report["grants"] != 1 || report["oauth_tokens"] != 2 || report["login_throttle"] != 1 || report["account"] != 1 {
		t.Errorf("report = %v", report)
	}

	needles := map[string]string{
		"user id": victim.String(), "email": email,
		"throttle subject": hex.EncodeToString(sha("account\x00" + email)),
		"token hash":       hex.EncodeToString(sha(tok)),
	}
	for what, needle := range needles {
		if found := traces(t, a, needle); len(found) > 0 {
			t.Errorf("after erasure the %s is still in %v", what, found)
		}
	}
	for tbl, col := range userTables(t, a) {
		var n int
		if err := a.QueryRow(ctx, `SELECT count(*) FROM `+pgx.Identifier{tbl}.Sanitize()+` WHERE `+col+` = $1`, victim).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("%s still has %d rows of the user", tbl, n)
		}
	}
	var auditAfter int
	if err := a.QueryRow(ctx, `SELECT count(*) FROM audit_events WHERE actor = ANY($1)`, subjects).Scan(&auditAfter); err != nil {
		t.Fatal(err)
	}
	if auditAfter <= auditBefore {
		t.Errorf("audit events under the pseudonym: %d before, %d after; the trail must keep them (and add the erasure)", auditBefore, auditAfter)
	}

	for _, path := range []string{"/api/export", "/mcp"} {
		method := "GET"
		if path == "/mcp" {
			method = "POST"
		}
		if p := e.do(http.DefaultClient, method, path, nil, bearer(tok)); p.status != http.StatusUnauthorized {
			t.Errorf("%s %s with the erased user's token: %d, want 401", method, path, p.status)
		}
	}
	if p := e.do(http.DefaultClient, "GET", "/api/export", nil, bearer(otherTok)); p.status != http.StatusOK ||
		!strings.Contains(p.body, "Buy milk") {
		t.Errorf("the other user's export: %d", p.status)
	}
	if _, err := e.privacy.EraseAccount(ctx, victim, "test"); err != privacy.ErrNoAccount {
		t.Errorf("second erasure: %v, want ErrNoAccount", err)
	}
}

// The account page's erasure needs the CSRF token, the password and the
// typed phrase; each missing piece leaves the account in place (D4, A7).
func TestAccountPageErasureNeedsPasswordAndPhrase(t *testing.T) {
	e := newEnv(t)
	id, email := e.newUser("page")
	e.createTask(id, "Keep me", "")
	c := e.browser()
	e.mustLogin(c, email)
	data := e.do(c, "GET", privacy.AccountDataPath, nil, nil)
	if data.status != http.StatusOK || !strings.Contains(data.body, `action="/account/delete"`) {
		t.Fatalf("data page: %d\n%s", data.status, data.body)
	}
	tok := csrfOf(t, data)
	exists := func() bool {
		var n int
		if err := e.admin().QueryRow(context.Background(), `SELECT count(*) FROM users WHERE id = $1`, id).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n == 1
	}
	for name, form := range map[string]url.Values{
		"no csrf":        {"password": {testPassword}, "confirmation": {privacy.ConfirmationPhrase}},
		"wrong csrf":     {"csrf_token": {"x" + tok}, "password": {testPassword}, "confirmation": {privacy.ConfirmationPhrase}},
		"wrong password": {"csrf_token": {tok}, "password": {"not the password"}, "confirmation": {privacy.ConfirmationPhrase}},
		"no phrase":      {"csrf_token": {tok}, "password": {testPassword}},
		"wrong phrase":   {"csrf_token": {tok}, "password": {testPassword}, "confirmation": {"delete"}},
	} {
		p := e.do(c, "POST", "/account/delete", form, nil)
		if p.status == http.StatusOK || !exists() {
			t.Fatalf("%s: status %d, account exists: %v", name, p.status, exists())
		}
	}
	p := e.do(c, "POST", "/account/delete", url.Values{"csrf_token": {tok}, "password": {testPassword},
		"confirmation": {"  Delete my ACCOUNT "}}, nil)
	if p.status != http.StatusOK || exists() {
		t.Fatalf("confirmed erasure: status %d, account exists: %v\n%s", p.status, exists(), p.body)
	}
	if p := e.do(c, "GET", "/account", nil, nil); p.status != http.StatusSeeOther {
		t.Errorf("the old session still opens the account page: %d", p.status)
	}
}
