package privacy_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/taskbridge/taskbridge/internal/privacy"
)

// The account page's export is complete (D5, catalogue item 23): every table holding a user's rows
// has a section, and each section has exactly as many entries as the
// table has rows of the user; notes come decrypted; it is an attachment
// that is not cached; it is audited.
func TestExportCoversEveryUserTable(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	id, email := e.newUser("export")
	e.populate(id, email)
	other, otherEmail := e.newUser("other")
	e.populate(other, otherEmail)

	c := e.browser()
	e.mustLogin(c, email)
	p := e.do(c, "GET", "/account/export", nil, map[string]string{"Sec-Fetch-Site": "same-origin"})
	if p.status != http.StatusOK {
		t.Fatalf("GET /account/export: %d %s", p.status, p.body)
	}
	if cd := p.header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment;") {
		t.Errorf("Content-Disposition = %q", cd)
	}
	if cc := p.header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control = %q", cc)
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal([]byte(p.body), &doc); err != nil {
		t.Fatalf("export is not JSON: %v\n%s", err, p.body)
	}
	var acct struct{ ID, Email string }
	_ = json.Unmarshal(doc["account"], &acct)
	if acct.ID != id.String() || acct.Email != email {
		t.Errorf("account = %+v", acct)
	}
	if strings.Contains(p.body, otherEmail) || strings.Contains(p.body, other.String()) {
		t.Error("the export contains the other user")
	}
	if !strings.Contains(p.body, "two litres, the secret note") {
		t.Error("task notes are not in the export in plain text")
	}
	covered := privacy.ExportSectionTables()
	a := e.admin()
	for tbl, col := range userTables(t, a) {
		if tbl == "users" {
			continue
		}
		section, ok := covered[tbl]
		if !ok {
			t.Errorf("table %s holds user rows but the export has no section for it", tbl)
			continue
		}
		var want int
		if err := a.QueryRow(ctx, `SELECT count(*) FROM `+pgx.Identifier{tbl}.Sanitize()+` WHERE `+col+` = $1`, id).Scan(&want); err != nil {
			t.Fatal(err)
		}
		var got []json.RawMessage
		if err := json.Unmarshal(doc[section], &got); err != nil {
			t.Fatalf("section %s: %v", section, err)
		}
		if len(got) != want {
			t.Errorf("section %s has %d entries, table %s has %d rows of the user", section, len(got), tbl, want)
		}
	}
	var events []struct {
		EventType string `json:"event_type"`
	}
	_ = json.Unmarshal(doc["audit_events"], &events)
	if len(events) == 0 {
		t.Error("the export has none of the user's audit events")
	}
	for _, secret := range []string{"password_hash", "$argon2id$", "csrf_secret", "token_hash", "notes_sealed"} {
		if strings.Contains(p.body, secret) {
			t.Errorf("the export contains %q", secret)
		}
	}
	var exports int
	if err := a.QueryRow(ctx, `SELECT count(*) FROM audit_events WHERE event_type = 'privacy.export' AND actor = ANY($1)`,
		e.auditLog.Subjects(id)).Scan(&exports); err != nil || exports != 1 {
		t.Errorf("privacy.export audit events = %d (%v), want 1", exports, err)
	}
}

// The account page export needs the session and refuses cross-site
// fetches; the API export needs tasks.read.
func TestExportNeedsSessionOrReadScope(t *testing.T) {
	e := newEnv(t)
	id, email := e.newUser("exp2")
	if p := e.do(e.browser(), "GET", "/account/export", nil, nil); p.status != http.StatusSeeOther {
		t.Errorf("signed out: %d, want a redirect to login", p.status)
	}
	c := e.browser()
	e.mustLogin(c, email)
	if p := e.do(c, "GET", "/account/export", nil, map[string]string{"Sec-Fetch-Site": "cross-site"}); p.status != http.StatusForbidden {
		t.Errorf("cross-site: %d, want 403", p.status)
	}
	if p := e.do(c, "GET", "/account/export", nil, map[string]string{"Sec-Fetch-Site": "same-origin"}); p.status != http.StatusOK ||
		!strings.Contains(p.body, email) {
		t.Errorf("signed in: %d", p.status)
	}
	writeOnly, _ := e.grantFixture(id, "tasks.write")
	if p := e.do(http.DefaultClient, "GET", "/api/export", nil, bearer(writeOnly)); p.status != http.StatusForbidden ||
		!strings.Contains(p.header.Get("WWW-Authenticate"), "insufficient_scope") {
		t.Errorf("write-only token: %d %q", p.status, p.header.Get("WWW-Authenticate"))
	}
	if p := e.do(http.DefaultClient, "GET", "/api/export", nil, nil); p.status != http.StatusUnauthorized {
		t.Errorf("no token: %d", p.status)
	}
}
