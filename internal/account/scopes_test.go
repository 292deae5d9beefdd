package account_test

import (
	"context"
	"html"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/taskbridge/taskbridge/internal/account"
	"github.com/taskbridge/taskbridge/internal/identity"
)

// The connected apps list names each granted scope in the scope table's
// account wording (identity.ScopeTable), so a scope added to the table is
// listed in its words without an edit here.
func TestConnectedAppsNameEveryScopeInTheTablesWords(t *testing.T) {
	grants := &fakeGrants{grants: map[uuid.UUID][]account.GrantView{}}
	e := newEnv(t, func(o *envConfig) { o.Grants = grants })
	c := e.browser()
	email := uniqueEmail("scopes")
	e.mustSignup(c, email)
	var userID uuid.UUID
	if err := tdb.Admin(t).QueryRow(context.Background(), `SELECT id FROM users WHERE email = $1`, email).Scan(&userID); err != nil {
		t.Fatal(err)
	}
	grants.grants[userID] = []account.GrantView{{
		ID: uuid.New(), ClientName: "Every Scope", ClientID: "client-all", Scopes: identity.KnownScopes(), CreatedAt: e.clock.Now(),
	}}
	p := e.get(c, "/account")
	for _, d := range identity.ScopeTable() {
		if want := "<li>" + html.EscapeString(d.Account) + "</li>"; !strings.Contains(p.body, want) {
			t.Errorf("account page lacks %s as %q", d.Name, want)
		}
	}
}
