package oauth_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/google/uuid"

	"github.com/taskbridge/taskbridge/internal/identity"
	"github.com/taskbridge/taskbridge/internal/oauth"
)

// TestPrincipalSaysWhetherTheConsentNamedTheAccountLabel: a connection
// linked through the consent page under the wording before the account
// label (its grant and consent record stored with consent-2026-11-v1)
// reaches the MCP layer without the label, also after a refresh; linking
// again consents under today's wording and gets it. A direct token issued
// again records today's consent on its grant too, not only in a new
// consent record.
func TestPrincipalSaysWhetherTheConsentNamedTheAccountLabel(t *testing.T) {
	var labelled *bool
	e := newEnv(t, withMCP(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		p, _ := identity.FromContext(r.Context())
		labelled = &p.AccountLabelConsented
	})))
	label := func(access string) bool {
		t.Helper()
		labelled = nil
		if resp := e.mcp("Bearer " + access); resp.StatusCode != http.StatusOK || labelled == nil {
			t.Fatalf("MCP request: %d", resp.StatusCode)
		}
		return *labelled
	}
	user, c := e.newUser(), e.publicClient()
	before := e.login(user, c, false)
	e.consentedUnder(user, "consent-2026-11-v1")
	if label(before.Access) {
		t.Error("a connection linked under consent-2026-11-v1 may see the account label")
	}
	if before.Refresh != "" {
		resp, body := e.refresh(c, before.Refresh, nil)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("refresh: %d %v", resp.StatusCode, body)
		}
		if label(body["access_token"].(string)) {
			t.Error("refreshing the older connection widened what it consented to")
		}
	}
	if !label(e.login(user, c, false).Access) {
		t.Errorf("a connection linked under %s may not see the account label", oauth.ConsentVersion)
	}

	ctx := context.Background()
	operator := e.newUser()
	clientID, err := e.oauth.NewDirectClient(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.oauth.IssueDirect(ctx, clientID, operator, []identity.Scope{identity.ScopeTasksRead}); err != nil {
		t.Fatal(err)
	}
	e.consentedUnder(operator, "consent-2026-11-v1")
	again, err := e.oauth.IssueDirect(ctx, clientID, operator, []identity.Scope{identity.ScopeTasksRead})
	if err != nil {
		t.Fatal(err)
	}
	if !label(again.AccessToken) {
		t.Error("a direct token issued under today's consent keeps the older grant's version")
	}
}

// consentedUnder rewrites the user's grants and consent records to
// version, as the server stored them while it was the current wording.
func (e *env) consentedUnder(user uuid.UUID, version string) {
	e.t.Helper()
	admin := tdb.Admin(e.t)
	for _, q := range []string{
		`UPDATE oauth_grants SET consent_version = $1 WHERE user_id = $2`,
		`UPDATE oauth_consent_records SET consent_version = $1 WHERE user_id = $2`,
	} {
		if _, err := admin.Exec(context.Background(), q, version, user); err != nil {
			e.t.Fatal(err)
		}
	}
}
