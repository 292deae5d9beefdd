package oauth_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/auth"

	"github.com/taskbridge/taskbridge/internal/identity"
	"github.com/taskbridge/taskbridge/internal/oauth"
)

func TestB10_17_BearerChallenges(t *testing.T) {
	e := newEnv(t)
	c := e.publicClient()
	user := e.newUser()
	tok := e.login(user, c, true)
	prm := `resource_metadata="` + e.url + `/.well-known/oauth-protected-resource/mcp"`

	resp := e.mcp("")
	if got := resp.Header.Get("WWW-Authenticate"); resp.StatusCode != http.StatusUnauthorized ||
		got != `Bearer `+prm+`, scope="tasks.read tasks.write"` {
		t.Fatalf("no token: %d %q", resp.StatusCode, got)
	}
	for name, header := range map[string]string{
		"garbage":   "Bearer nonsense",
		"unknown":   "Bearer tbat_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"refresh":   "Bearer " + tok.Refresh,
		"empty":     "Bearer ",
		"lowercase": "bearer tbat_x",
	} {
		resp := e.mcp(header)
		got := resp.Header.Get("WWW-Authenticate")
		if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(got, `error="invalid_token"`) || !strings.Contains(got, prm) {
			t.Errorf("%s: %d %q", name, resp.StatusCode, got)
		}
	}
	// Token in the query string: refused even though it is valid.
	req, _ := http.NewRequest(http.MethodPost, e.url+"/mcp?access_token="+tok.Access, strings.NewReader("{}"))
	if resp, _ := e.do(req); resp.StatusCode == http.StatusOK || resp.StatusCode < 400 {
		t.Fatalf("query-string token accepted: %d", resp.StatusCode)
	}
	// Expired.
	e.clock.Advance(e.cfg.OAuth.AccessTokenTTL + time.Second)
	resp = e.mcp("Bearer " + tok.Access)
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(resp.Header.Get("WWW-Authenticate"), `error="invalid_token"`) {
		t.Fatalf("expired: %d", resp.StatusCode)
	}
	// The 403 helper lists the needed scopes.
	rec := httptest.NewRecorder()
	oauth.InsufficientScope(rec, httptest.NewRequest(http.MethodPost, "/mcp", nil), []identity.Scope{identity.ScopeTasksWrite})
	if rec.Code != http.StatusForbidden || !strings.Contains(rec.Header().Get("WWW-Authenticate"), `scope="tasks.write", error="insufficient_scope"`) {
		t.Fatalf("insufficient scope: %d %q", rec.Code, rec.Header().Get("WWW-Authenticate"))
	}
	h := oauth.ChallengeHeader(e.cfg, []identity.Scope{identity.ScopeTasksRead, identity.ScopeTasksWrite}, `needs "write"`)
	want := `Bearer ` + prm + `, scope="tasks.read tasks.write", error="insufficient_scope", error_description="needs \"write\""`
	if h != want {
		t.Fatalf("challenge header\n got %s\nwant %s", h, want)
	}
}

func TestB10_18_WrongAudienceRejected(t *testing.T) {
	// Two deployments share a database; a token minted for one is refused
	// by the other because its audience is the first one's MCP URL.
	a := newEnv(t)
	b := newEnv(t, func(o *envOptions) { o.db = a.db })
	c := a.publicClient()
	tok := a.login(a.newUser(), c, true)
	if a.mcp("Bearer "+tok.Access).StatusCode != http.StatusOK {
		t.Fatal("token refused by its own resource")
	}
	resp := b.mcp("Bearer " + tok.Access)
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(resp.Header.Get("WWW-Authenticate"), "invalid_token") {
		t.Fatalf("token for another audience: %d", resp.StatusCode)
	}
	// And the authorization server never mints a token for another resource.
	p := newPKCE()
	bb := a.browser(a.newUser())
	redirectedError(t, a, a.getAs(bb, a.authorizeURL(c, p, map[string][]string{"resource": {"https://evil.example.com/mcp"}})), "invalid_target")
}

func TestB10_19_PrincipalCarriesOnlyGrantedScopes(t *testing.T) {
	var got map[string]any
	var info *auth.TokenInfo
	e := newEnv(t, withMCP(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := identity.FromContext(r.Context())
		info = auth.TokenInfoFromContext(r.Context())
		got = map[string]any{"scopes": p.ScopeString(), "write": p.Has(identity.ScopeTasksWrite)}
	})))
	c := e.publicClient()
	user := e.newUser()
	ro := e.login(user, c, false) // the user unticked write
	if e.mcp("Bearer "+ro.Access).StatusCode != http.StatusOK || got["scopes"] != "tasks.read" || got["write"] != false {
		t.Fatalf("read-only grant principal: %v", got)
	}
	if info == nil || info.UserID != user.String() || len(info.Scopes) != 1 || info.Extra["client_id"] != c.ID || info.Expiration.IsZero() {
		t.Fatalf("go-sdk TokenInfo: %+v", info)
	}
	// Each consent governs its own connection (two ChatGPT workspaces share
	// one client): a later read-only consent makes a read-only connection
	// and neither narrows nor widens the write connection from before.
	rw := e.login(user, c, true)
	ro2 := e.login(user, c, false)
	if e.mcp("Bearer "+rw.Access).StatusCode != http.StatusOK || got["scopes"] != "tasks.read tasks.write" {
		t.Fatalf("the write connection after another connection's read-only consent: %v", got)
	}
	if e.mcp("Bearer "+ro2.Access).StatusCode != http.StatusOK || got["scopes"] != "tasks.read" {
		t.Fatalf("the read-only connection: %v", got)
	}
}

func TestB10_20_DNSRebindingOriginAndHost(t *testing.T) {
	e := newEnv(t, withVars("TASKBRIDGE_MCP_ALLOWED_ORIGINS", "https://inspector.example"))
	tok := e.login(e.newUser(), e.publicClient(), true)
	call := func(host, origin string) int {
		req, _ := http.NewRequest(http.MethodPost, e.url+"/mcp", strings.NewReader("{}"))
		req.Header.Set("Authorization", "Bearer "+tok.Access)
		if host != "" {
			req.Host = host
		}
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		resp, _ := e.do(req)
		return resp.StatusCode
	}
	for name, tc := range map[string]struct {
		host, origin string
		want         int
	}{
		"no origin":           {"", "", http.StatusOK},
		"own origin":          {"", e.url, http.StatusOK},
		"configured origin":   {"", "https://inspector.example", http.StatusOK},
		"foreign origin":      {"", "https://evil.example", http.StatusForbidden},
		"null origin":         {"", "null", http.StatusForbidden},
		"rebound host":        {"evil.example:80", "", http.StatusForbidden},
		"rebound host+origin": {"evil.example", "http://evil.example", http.StatusForbidden},
		"localhost host":      {"localhost", "", http.StatusOK},
	} {
		if got := call(tc.host, tc.origin); got != tc.want {
			t.Errorf("%s: %d, want %d", name, got, tc.want)
		}
	}
}

func TestConnectedAppsRevokeTakesEffectOnNextRequest(t *testing.T) {
	e := newEnv(t)
	user := e.newUser()
	stranger := e.newUser()
	c := e.register(map[string]any{"client_name": "Claude"})
	tok := e.login(user, c, true)
	if e.mcp("Bearer "+tok.Access).StatusCode != http.StatusOK {
		t.Fatal("token refused")
	}
	ctx := context.Background()
	grants, err := e.oauth.ListGrants(ctx, user)
	if err != nil || len(grants) != 1 || grants[0].ClientName != "Claude" || grants[0].LastUsedAt == nil || len(grants[0].Scopes) != 2 {
		t.Fatalf("grants %+v %v", grants, err)
	}
	if err := e.oauth.RevokeGrant(ctx, stranger, grants[0].ID); err != oauth.ErrNotFound {
		t.Fatalf("another user revoked the grant: %v", err)
	}
	if err := e.oauth.RevokeGrant(ctx, user, grants[0].ID); err != nil {
		t.Fatal(err)
	}
	if e.mcp("Bearer "+tok.Access).StatusCode != http.StatusUnauthorized {
		t.Fatal("access token works after the grant was revoked")
	}
	if _, body := e.refresh(c, tok.Refresh, nil); body["error"] != "invalid_grant" {
		t.Fatalf("refresh after revocation: %v", body)
	}
	records, _ := e.oauth.ListConsentRecords(ctx, user)
	if len(records) != 2 || records[1].Action != "revoke" {
		t.Fatalf("revocation not recorded: %+v", records)
	}
	if e.auditCount("oauth.grant.revoke") == 0 {
		t.Fatal("revocation not audited")
	}
}

func TestDeletedUserTokensStopWorking(t *testing.T) {
	e := newEnv(t)
	user := e.newUser()
	tok := e.login(user, e.publicClient(), true)
	if _, err := tdb.Admin(t).Exec(context.Background(), `DELETE FROM users WHERE id = $1`, user); err != nil {
		t.Fatal(err)
	}
	if e.mcp("Bearer "+tok.Access).StatusCode != http.StatusUnauthorized {
		t.Fatal("token of a deleted user still works")
	}
}

// TestRateLimitOnMCP: /mcp is limited per connected app after the token is
// verified, not per IP: two users whose host calls from one IP (here
// loopback, as ChatGPT's and Claude's shared egress) each get their own
// budget, and a refresh does not reset it. Requests refused for a missing
// or bad token are counted per IP, and never lock valid tokens out (I8).
func TestRateLimitOnMCP(t *testing.T) {
	t.Run("per connected app, not per IP", func(t *testing.T) {
		e := newEnv(t, withVars("TASKBRIDGE_RATE_MCP_PER_MINUTE", "2"))
		c := e.publicClient()
		alice := e.login(e.newUser(), c, true)
		bob := e.login(e.newUser(), c, true)
		for i := range 2 {
			if resp := e.mcp("Bearer " + alice.Access); resp.StatusCode != http.StatusOK {
				t.Fatalf("alice request %d: %d", i+1, resp.StatusCode)
			}
		}
		last := e.mcp("Bearer " + alice.Access)
		if last.StatusCode != http.StatusTooManyRequests || last.Header.Get("Retry-After") == "" {
			t.Fatalf("alice over her limit: %d, want 429 with Retry-After", last.StatusCode)
		}
		if resp := e.mcp("Bearer " + bob.Access); resp.StatusCode != http.StatusOK {
			t.Fatalf("bob, from the same IP, was limited by alice's traffic: %d", resp.StatusCode)
		}
		_, refreshed := e.refresh(c, alice.Refresh, nil)
		if resp := e.mcp("Bearer " + refreshed["access_token"].(string)); resp.StatusCode != http.StatusTooManyRequests {
			t.Fatalf("a refreshed token reset alice's budget: %d, want 429", resp.StatusCode)
		}
	})
	t.Run("junk tokens do not lock out valid tokens from the same IP", testJunkTokensDoNotLockOutValidTokens)
}

// testJunkTokensDoNotLockOutValidTokens: 600 requests with made-up tokens
// from one IP (well-formed ones, which take a lookup, and malformed ones,
// which do not) are each refused with 401 and its challenge, never with
// more than that; a valid token that IP never used before is then still
// served. Before, the IP's refused budget answered 429 to everything from
// it, so junk from a shared address (a NAT, a VPN, a host's egress) locked
// out every user behind it (I8, A4).
func testJunkTokensDoNotLockOutValidTokens(t *testing.T) {
	e := newEnv(t, withVars("TASKBRIDGE_RATE_MCP_UNAUTHENTICATED_PER_MINUTE", "5"))
	tok := e.login(e.newUser(), e.publicClient(), true)
	for i := range 600 {
		junk := "tbat_" + strings.Repeat(string(rune('A'+i%26)), 43) // well-formed, unknown
		if i%2 == 1 {
			junk = "not-a-token"
		}
		resp := e.mcp("Bearer " + junk)
		if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(resp.Header.Get("WWW-Authenticate"), `error="invalid_token"`) {
			t.Fatalf("junk token %d: %d %q, want 401 invalid_token", i+1, resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
		}
	}
	if resp := e.mcp("Bearer " + tok.Access); resp.StatusCode != http.StatusOK {
		t.Fatalf("a valid token after a junk flood from its IP: %d, want 200", resp.StatusCode)
	}
}

// TestABurstWithAFreshTokenHoldsOneConnection (I8): requests that arrive
// together with a token this replica has not verified yet look it up one
// at a time (the rest then find it cached), so a burst from one app holds
// one pooled connection for token checks, not one per request. The test
// makes the lookup wait on a table lock and counts the sessions waiting.
func TestABurstWithAFreshTokenHoldsOneConnection(t *testing.T) {
	e := newEnv(t)
	tok := e.login(e.newUser(), e.publicClient(), true)
	ctx := context.Background()
	admin := tdb.Admin(t)
	lock, err := admin.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lock.Exec(ctx, `LOCK TABLE oauth_tokens IN ACCESS EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	waiting := func() int {
		var n int
		if err := tdb.Admin(t).QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	codes := make(chan int, 5)
	for range 5 {
		go func() {
			req, _ := http.NewRequest(http.MethodPost, e.url+"/mcp", strings.NewReader(`{}`))
			req.Header.Set("Authorization", "Bearer "+tok.Access)
			resp, err := e.client.Do(req)
			if err != nil {
				codes <- 0
				return
			}
			resp.Body.Close()
			codes <- resp.StatusCode
		}()
	}
	for deadline := time.Now().Add(30 * time.Second); waiting() < 1; {
		if time.Now().After(deadline) {
			t.Fatal("no token lookup reached the database")
		}
		time.Sleep(5 * time.Millisecond) // polling for the state
	}
	// Watched for a while, in which the burst's other requests arrive:
	// they wait for the first lookup, not for the database.
	for range 20 {
		if n := waiting(); n > 1 {
			t.Fatalf("%d lookups of one token hold a connection at once, want 1", n)
		}
	}
	if err := lock.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	for range 5 {
		if code := <-codes; code != http.StatusOK {
			t.Fatalf("a request of the burst: %d, want 200", code)
		}
	}
}
