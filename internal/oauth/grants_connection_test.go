package oauth_test

import (
	"context"
	"net/http"
	"testing"
	"time"
)

// TestEachAuthorizationIsItsOwnConnection: two authorizations of one client
// by one user are two grants (two ChatGPT workspaces share a client_id),
// also while the first one's code is not redeemed yet. A grant with
// nothing live under it any more (its tokens lapsed) is taken over by the
// next authorization instead of piling up on the account page, and the
// consent record names the grant it created or took over.
func TestEachAuthorizationIsItsOwnConnection(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.publicClient()
	user := e.newUser()
	grants := func() int {
		t.Helper()
		list, err := e.oauth.ListGrants(ctx, user)
		if err != nil {
			t.Fatal(err)
		}
		return len(list)
	}
	first := e.login(user, c, true)
	e.code(user, c, newPKCE(), false) // approved, not redeemed yet
	if n := grants(); n != 2 {
		t.Fatalf("%d grants after a second authorization while the first is live, want 2", n)
	}
	second := e.login(user, c, false)
	if n := grants(); n != 3 {
		t.Fatalf("%d grants: an authorization took over a grant whose code is still unredeemed, want 3", n)
	}
	if e.mcp("Bearer "+first.Access).StatusCode != http.StatusOK || e.mcp("Bearer "+second.Access).StatusCode != http.StatusOK {
		t.Fatal("one connection's authorization ended another's tokens")
	}

	e.clock.Advance(e.cfg.OAuth.RefreshTokenTTL + time.Minute) // every token and code lapses
	again := e.login(user, c, false)
	if n := grants(); n != 3 {
		t.Fatalf("%d grants after linking again once everything lapsed, want the 3 taken over", n)
	}
	if e.mcp("Bearer "+again.Access).StatusCode != http.StatusOK {
		t.Fatal("the connection that took over a lapsed grant does not work")
	}
	records, err := e.oauth.ListConsentRecords(ctx, user)
	if err != nil || len(records) != 4 {
		t.Fatalf("consent records: %d %v, want one per authorization", len(records), err)
	}
	seen := map[string]bool{}
	for _, r := range records {
		if r.GrantID == nil {
			t.Fatal("a consent record without its grant")
		}
		seen[r.GrantID.String()] = true
	}
	if len(seen) != 3 {
		t.Fatalf("consent records name %d grants, want 3", len(seen))
	}
}
