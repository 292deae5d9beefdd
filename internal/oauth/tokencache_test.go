package oauth_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/taskbridge/taskbridge/internal/identity"
	"github.com/taskbridge/taskbridge/internal/oauth"
	"github.com/taskbridge/taskbridge/internal/postgres"
)

// twoReplicas is two authorization servers on one database with one public
// URL (as behind a load balancer) and clocks that move together.
func twoReplicas(t *testing.T) (a, b *env, advance func()) {
	t.Helper()
	a = newEnv(t)
	b = newEnv(t, withVars("TASKBRIDGE_PUBLIC_URL", a.url))
	b.clock.now = a.clock.Now()
	return a, b, func() {
		a.clock.Advance(oauth.TokenCacheTTL)
		b.clock.Advance(oauth.TokenCacheTTL)
	}
}

// TestRevocationOnOneReplicaIsHonouredByAnotherWithinOneSecond: replica B
// has the token in its verification cache; the user's app is disconnected
// through replica A. A refuses the token at once; B may answer from its
// cache only until the TTL (one second) has passed, then refuses it too.
// The clocks are the servers' injected clocks, so nothing sleeps.
func TestRevocationOnOneReplicaIsHonouredByAnotherWithinOneSecond(t *testing.T) {
	a, b, advance := twoReplicas(t)
	user := a.newUser()
	c := a.publicClient()
	tok := a.login(user, c, true)

	if resp := b.mcp("Bearer " + tok.Access); resp.StatusCode != http.StatusOK {
		t.Fatalf("replica B refuses a token replica A issued: %d", resp.StatusCode)
	}
	if resp := a.revoke(c, tok.Refresh); resp.StatusCode != http.StatusOK {
		t.Fatalf("revoke on A: %d", resp.StatusCode)
	}
	if resp := a.mcp("Bearer " + tok.Access); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("replica A after its own revocation: %d, want 401 at once", resp.StatusCode)
	}
	// The bound is real: B still trusts its cached verification for now.
	if resp := b.mcp("Bearer " + tok.Access); resp.StatusCode != http.StatusOK {
		t.Logf("replica B refused at once (%d): stricter than required", resp.StatusCode)
	}
	advance()
	if resp := b.mcp("Bearer " + tok.Access); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("replica B %s after the revocation on A: %d, want 401", oauth.TokenCacheTTL, resp.StatusCode)
	}
}

// TestTokenCacheNeverOutlivesTheToken: a cached verification ends with the
// token, even when the token expires inside the cache TTL.
func TestTokenCacheNeverOutlivesTheToken(t *testing.T) {
	e := newEnv(t, withVars("TASKBRIDGE_OAUTH_ACCESS_TOKEN_TTL", "1m"))
	user := e.newUser()
	tok := e.login(user, e.publicClient(), false)
	e.clock.Advance(oauth.TokenCacheTTL * 59) // one TTL before expiry
	if resp := e.mcp("Bearer " + tok.Access); resp.StatusCode != http.StatusOK {
		t.Fatalf("before expiry: %d", resp.StatusCode)
	}
	e.clock.Advance(oauth.TokenCacheTTL) // exactly at expiry: the cache entry ends with the token
	if resp := e.mcp("Bearer " + tok.Access); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("at expiry: %d, want 401", resp.StatusCode)
	}
}

// TestDirectTokensWorkAndShowAsConnectedApps: IssueDirect (taskbridge bench)
// writes what the browser flow writes: the token authenticates, the grant
// is listed on the account page and revoking it there ends the token.
func TestDirectTokensWorkAndShowAsConnectedApps(t *testing.T) {
	e := newEnv(t)
	user := e.newUser()
	ctx := context.Background()
	clientID, err := e.oauth.NewDirectClient(ctx)
	if err != nil {
		t.Fatal(err)
	}
	issuedBefore := e.auditCount("oauth.token.issue")
	tok, err := e.oauth.IssueDirect(ctx, clientID, user, []identity.Scope{identity.ScopeTasksRead})
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, e.url+"/mcp", strings.NewReader(`{}`))
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	resp, err := e.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var who map[string]string
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err := json.Unmarshal(raw, &who); err != nil || who["user_id"] != user.String() || who["scopes"] != "tasks.read" {
		t.Fatalf("direct token: %d %s", resp.StatusCode, raw)
	}
	grants, err := e.oauth.ListGrants(ctx, user)
	if err != nil || len(grants) != 1 || grants[0].ClientName != oauth.DirectClientName {
		t.Fatalf("connected apps: %+v %v", grants, err)
	}
	if e.auditCount("oauth.token.issue") != issuedBefore+1 {
		t.Error("direct issuance left no oauth.token.issue audit event")
	}
	if err := e.oauth.RevokeGrant(ctx, user, tok.GrantID); err != nil {
		t.Fatal(err)
	}
	if resp := e.mcp("Bearer " + tok.AccessToken); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("after revoking the grant on this replica: %d, want 401 at once", resp.StatusCode)
	}
	if _, err := e.oauth.IssueDirect(ctx, e.publicClient().ID, user, []identity.Scope{identity.ScopeTasksRead}); err == nil {
		t.Error("IssueDirect issued a token to an ordinary registered client")
	}
}

// TestBearerAnswers503WhenTheDatabaseIsUnavailable: a token that cannot be
// checked because the database is gone is neither accepted nor called
// invalid (401 would make the client drop a good token) nor a bug (500):
// it is 503 with Retry-After.
func TestBearerAnswers503WhenTheDatabaseIsUnavailable(t *testing.T) {
	db, err := postgres.Open(context.Background(), tdb.AppURL, postgres.PoolOptions{MaxConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, func(o *envOptions) { o.db = db }, withOptions(oauth.WithTokenCacheTTL(0)))
	tok := e.login(e.newUser(), e.publicClient(), false)
	db.Close()
	resp := e.mcp("Bearer " + tok.Access)
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("token check with the database gone: %d, Retry-After %q; want 503 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
}

// TestTokenEndpointAnswers503WhenTheDatabaseIsUnavailable: the token
// endpoint says temporarily_unavailable with Retry-After, not server_error.
func TestTokenEndpointAnswers503WhenTheDatabaseIsUnavailable(t *testing.T) {
	db, err := postgres.Open(context.Background(), tdb.AppURL, postgres.PoolOptions{MaxConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, func(o *envOptions) { o.db = db })
	c := e.publicClient()
	p := newPKCE()
	code := e.code(e.newUser(), c, p, false)
	db.Close()
	resp, body := e.exchange(c, code, p)
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" || body["error"] != "temporarily_unavailable" {
		t.Fatalf("token request with the database gone: %d %v, Retry-After %q", resp.StatusCode, body, resp.Header.Get("Retry-After"))
	}
}

// TestNoTokenCacheMeansRevocationOnTheNextRequestEverywhere: with
// TASKBRIDGE_OAUTH_TOKEN_CACHE_TTL=0s a deployment gets P7 to the letter:
// a revocation on one replica is refused by the other on its next request.
func TestNoTokenCacheMeansRevocationOnTheNextRequestEverywhere(t *testing.T) {
	a := newEnv(t, withOptions(oauth.WithTokenCacheTTL(0)))
	b := newEnv(t, withVars("TASKBRIDGE_PUBLIC_URL", a.url), withOptions(oauth.WithTokenCacheTTL(0)))
	b.clock.now = a.clock.Now()
	c := a.publicClient()
	tok := a.login(a.newUser(), c, true)
	if resp := b.mcp("Bearer " + tok.Access); resp.StatusCode != http.StatusOK {
		t.Fatalf("replica B refuses a token replica A issued: %d", resp.StatusCode)
	}
	if resp := a.revoke(c, tok.Refresh); resp.StatusCode != http.StatusOK {
		t.Fatalf("revoke on A: %d", resp.StatusCode)
	}
	if resp := b.mcp("Bearer " + tok.Access); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("replica B's next request after the revocation on A: %d, want 401", resp.StatusCode)
	}
}
