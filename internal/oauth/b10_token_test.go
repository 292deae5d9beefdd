package oauth_test

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestB10_11_RefreshRotationGraceReuseConcurrency(t *testing.T) {
	t.Run("rotation", func(t *testing.T) {
		e := newEnv(t)
		c := e.publicClient()
		tok := e.login(e.newUser(), c, true)
		resp, body := e.refresh(c, tok.Refresh, nil)
		if resp.StatusCode != http.StatusOK || body["refresh_token"] == tok.Refresh || body["refresh_token"] == nil {
			t.Fatalf("rotation: %d %v", resp.StatusCode, body)
		}
		if e.mcp("Bearer "+body["access_token"].(string)).StatusCode != http.StatusOK {
			t.Fatal("refreshed access token refused")
		}
	})
	t.Run("grace returns the same successor", func(t *testing.T) {
		e := newEnv(t)
		c := e.publicClient()
		tok := e.login(e.newUser(), c, true)
		_, first := e.refresh(c, tok.Refresh, nil)
		e.clock.Advance(5 * time.Second)
		resp, retry := e.refresh(c, tok.Refresh, nil)
		if resp.StatusCode != http.StatusOK || retry["refresh_token"] != first["refresh_token"] {
			t.Fatalf("retry within grace: %d %v (first %v)", resp.StatusCode, retry, first["refresh_token"])
		}
		// The successor still works and rotates normally.
		if resp, body := e.refresh(c, first["refresh_token"].(string), nil); resp.StatusCode != http.StatusOK {
			t.Fatalf("successor: %d %v", resp.StatusCode, body)
		}
	})
	t.Run("reuse revokes the family and is audited", func(t *testing.T) {
		e := newEnv(t)
		c := e.publicClient()
		tok := e.login(e.newUser(), c, true)
		_, r1 := e.refresh(c, tok.Refresh, nil)
		_, r2 := e.refresh(c, r1["refresh_token"].(string), nil)
		before := e.auditCount("oauth.refresh.reuse")
		// tok.Refresh is two generations old: not the immediately previous one.
		if resp, body := e.refresh(c, tok.Refresh, nil); body["error"] != "invalid_grant" {
			t.Fatalf("reuse: %d %v", resp.StatusCode, body)
		}
		if resp, body := e.refresh(c, r2["refresh_token"].(string), nil); body["error"] != "invalid_grant" {
			t.Fatalf("the family's current token survived reuse: %d %v", resp.StatusCode, body)
		}
		if e.mcp("Bearer "+r2["access_token"].(string)).StatusCode != http.StatusUnauthorized {
			t.Fatal("the family's access token survived reuse")
		}
		if e.auditCount("oauth.refresh.reuse") != before+1 {
			t.Fatal("reuse not audited")
		}
	})
	t.Run("reuse after the grace window revokes", func(t *testing.T) {
		e := newEnv(t)
		c := e.publicClient()
		tok := e.login(e.newUser(), c, true)
		_, r1 := e.refresh(c, tok.Refresh, nil)
		e.clock.Advance(e.cfg.OAuth.RefreshGrace + time.Second)
		if _, body := e.refresh(c, tok.Refresh, nil); body["error"] != "invalid_grant" {
			t.Fatalf("late reuse: %v", body)
		}
		if _, body := e.refresh(c, r1["refresh_token"].(string), nil); body["error"] != "invalid_grant" {
			t.Fatalf("successor survived late reuse: %v", body)
		}
	})
	t.Run("concurrent refreshes produce exactly one successor", func(t *testing.T) {
		e := newEnv(t)
		c := e.publicClient()
		tok := e.login(e.newUser(), c, true)
		const n = 8
		var wg sync.WaitGroup
		got := make([]string, n)
		codes := make([]int, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.Refresh}, "client_id": {c.ID}}
				req, _ := http.NewRequest(http.MethodPost, e.url+"/token", strings.NewReader(form.Encode()))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					return
				}
				defer resp.Body.Close()
				var buf bytes.Buffer
				_, _ = buf.ReadFrom(resp.Body)
				codes[i] = resp.StatusCode
				got[i] = extract(buf.String(), "refresh_token")
			}()
		}
		wg.Wait()
		distinct := map[string]bool{}
		for i := range n {
			if codes[i] != http.StatusOK {
				t.Fatalf("request %d: status %d", i, codes[i])
			}
			distinct[got[i]] = true
		}
		if len(distinct) != 1 {
			t.Fatalf("%d different successors from concurrent refreshes", len(distinct))
		}
		var successors int
		if err := tdb.Admin(t).QueryRow(context.Background(), `SELECT count(*) FROM oauth_tokens t
			JOIN oauth_tokens o ON o.family_id = t.family_id
			WHERE o.token_hash = sha256($1::bytea) AND t.kind = 'refresh'`, []byte(tok.Refresh)).Scan(&successors); err != nil {
			t.Fatal(err)
		}
		if successors != 2 {
			t.Fatalf("family has %d refresh tokens, want the original and one successor", successors)
		}
	})
}

func extract(body, field string) string {
	key := `"` + field + `":"`
	i := strings.Index(body, key)
	if i < 0 {
		return ""
	}
	rest := body[i+len(key):]
	return rest[:strings.IndexByte(rest, '"')]
}

func TestB10_12_RefreshLifetimesAndScope(t *testing.T) {
	t.Run("narrow allowed, widen refused, resource bound", func(t *testing.T) {
		e := newEnv(t)
		c := e.publicClient()
		tok := e.login(e.newUser(), c, true)
		resp, body := e.refresh(c, tok.Refresh, url.Values{"scope": {"tasks.read"}})
		if resp.StatusCode != http.StatusOK || body["scope"] != "tasks.read" {
			t.Fatalf("narrowing: %d %v", resp.StatusCode, body)
		}
		// The new refresh token keeps the original scope (RFC 6749 §6).
		resp, body = e.refresh(c, body["refresh_token"].(string), nil)
		if resp.StatusCode != http.StatusOK || body["scope"] != "tasks.read tasks.write" {
			t.Fatalf("after narrowing: %d %v", resp.StatusCode, body)
		}
		rt := body["refresh_token"].(string)
		if _, body := e.refresh(c, rt, url.Values{"resource": {"https://other.example.com/mcp"}}); body["error"] != "invalid_target" {
			t.Fatalf("other resource: %v", body)
		}
		ro := e.login(e.newUser(), c, false)
		if _, body := e.refresh(c, ro.Refresh, url.Values{"scope": {"tasks.read tasks.write"}}); body["error"] != "invalid_scope" {
			t.Fatalf("widening: %v", body)
		}
	})
	t.Run("idle expiry", func(t *testing.T) {
		e := newEnv(t)
		c := e.publicClient()
		tok := e.login(e.newUser(), c, true)
		e.clock.Advance(e.cfg.OAuth.RefreshIdleTTL + time.Second)
		if _, body := e.refresh(c, tok.Refresh, nil); body["error"] != "invalid_grant" {
			t.Fatalf("idle refresh token accepted: %v", body)
		}
	})
	t.Run("absolute lifetime", func(t *testing.T) {
		e := newEnv(t)
		c := e.publicClient()
		rt := e.login(e.newUser(), c, true).Refresh
		// Keep it busy: refresh every 10 days, never idle, until 30 days pass.
		for range 3 {
			e.clock.Advance(10 * 24 * time.Hour)
			resp, body := e.refresh(c, rt, nil)
			if resp.StatusCode != http.StatusOK {
				if body["error"] != "invalid_grant" {
					t.Fatalf("unexpected: %v", body)
				}
				return
			}
			rt = body["refresh_token"].(string)
		}
		e.clock.Advance(time.Hour)
		if _, body := e.refresh(c, rt, nil); body["error"] != "invalid_grant" {
			t.Fatalf("refresh past the absolute lifetime accepted: %v", body)
		}
	})
}

func TestB10_13_TokensStoredOnlyAsHashes(t *testing.T) {
	e := newEnv(t)
	c := e.register(map[string]any{"token_endpoint_auth_method": "client_secret_post"})
	user := e.newUser()
	p := newPKCE()
	resp, body := e.token(url.Values{"grant_type": {"authorization_code"}, "code": {e.code(user, c, p, true)},
		"client_id": {c.ID}, "client_secret": {c.Secret}, "redirect_uri": {c.Redirect}, "code_verifier": {p.Verifier}})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%d %v", resp.StatusCode, body)
	}
	if exp := body["expires_in"].(float64); exp <= 0 || exp > 15*60 {
		t.Fatalf("access token lifetime %v s", exp)
	}
	secrets := []string{body["access_token"].(string), body["refresh_token"].(string), c.Secret}
	// Dump every oauth table as text and look for any secret.
	admin := tdb.Admin(t)
	for _, table := range []string{"oauth_tokens", "oauth_codes", "oauth_clients", "oauth_token_families", "oauth_grants", "oauth_authorization_requests", "audit_events"} {
		var dump string
		if err := admin.QueryRow(context.Background(), `SELECT coalesce(string_agg(t::text, ' '), '') FROM `+table+` t`).Scan(&dump); err != nil {
			t.Fatal(err)
		}
		for _, s := range secrets {
			if strings.Contains(dump, s) || strings.Contains(dump, s[5:]) {
				t.Fatalf("%s holds a secret in plain text", table)
			}
		}
	}
	var hash string
	if err := admin.QueryRow(context.Background(), `SELECT secret_hash FROM oauth_clients WHERE client_id = $1`, c.ID).Scan(&hash); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(hash, "$argon2id$") {
		t.Fatalf("client secret hash %q is not argon2id", hash[:10])
	}
	var stored int
	if err := admin.QueryRow(context.Background(), `SELECT count(*) FROM oauth_tokens WHERE token_hash = sha256($1::bytea)`, []byte(secrets[0])).Scan(&stored); err != nil || stored != 1 {
		t.Fatalf("access token not found by its SHA-256: %d %v", stored, err)
	}
}

func (e *env) revoke(c testClient, token string) *http.Response {
	form := url.Values{"token": {token}, "client_id": {c.ID}}
	req, _ := http.NewRequest(http.MethodPost, e.url+"/revoke", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, _ := e.do(req)
	return resp
}

func TestB10_14_RevocationEndpoint(t *testing.T) {
	e := newEnv(t)
	c := e.publicClient()
	other := e.publicClient()
	user := e.newUser()
	tok := e.login(user, c, true)

	// Another client cannot revoke it (and learns nothing: 200).
	if resp := e.revoke(other, tok.Refresh); resp.StatusCode != http.StatusOK {
		t.Fatalf("revoke by other client: %d", resp.StatusCode)
	}
	if e.mcp("Bearer "+tok.Access).StatusCode != http.StatusOK {
		t.Fatal("another client revoked the token")
	}
	// Unknown tokens get 200 too.
	if resp := e.revoke(c, "tbrt_unknown"); resp.StatusCode != http.StatusOK {
		t.Fatalf("unknown token: %d", resp.StatusCode)
	}
	// Revoking the refresh token revokes the grant: the access token dies on the next call.
	if resp := e.revoke(c, tok.Refresh); resp.StatusCode != http.StatusOK {
		t.Fatalf("revoke: %d", resp.StatusCode)
	}
	if e.mcp("Bearer "+tok.Access).StatusCode != http.StatusUnauthorized {
		t.Fatal("access token works after its refresh token was revoked")
	}
	grants, err := e.oauth.ListGrants(context.Background(), user)
	if err != nil || len(grants) != 0 {
		t.Fatalf("grant still listed after revocation: %v %v", grants, err)
	}
}

func TestPurgeExpiredCodesAndTokens(t *testing.T) {
	e := newEnv(t)
	c := e.publicClient()
	user := e.newUser()
	tok := e.login(user, c, true)
	_, r1 := e.refresh(c, tok.Refresh, nil)
	count := func(q string) int {
		var n int
		if err := tdb.Admin(t).QueryRow(context.Background(), q, user).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	sealed := `SELECT count(*) FROM oauth_tokens WHERE user_id = $1 AND successor_sealed IS NOT NULL`
	if count(sealed) != 1 {
		t.Fatal("rotation kept no sealed successor")
	}
	ctx := context.Background()
	st := e.oauth.Store()
	// After the grace window the sealed successor is erased.
	if _, err := st.PurgeExpiredTokens(ctx, e.clock.Now().Add(time.Minute), e.cfg.OAuth.RefreshGrace, 100); err != nil {
		t.Fatal(err)
	}
	if count(sealed) != 0 {
		t.Fatal("sealed successor kept past the grace window")
	}
	if _, err := st.PurgeExpiredCodes(ctx, e.clock.Now().Add(time.Hour), 100); err != nil {
		t.Fatal(err)
	}
	if count(`SELECT count(*) FROM oauth_codes WHERE user_id = $1`) != 0 {
		t.Fatal("expired code kept")
	}
	if _, err := st.PurgeExpiredTokens(ctx, e.clock.Now().Add(e.cfg.OAuth.RefreshTokenTTL+time.Hour), e.cfg.OAuth.RefreshGrace, 100); err != nil {
		t.Fatal(err)
	}
	if count(`SELECT count(*) FROM oauth_tokens WHERE user_id = $1`) != 0 || count(`SELECT count(*) FROM oauth_token_families WHERE user_id = $1`) != 0 {
		t.Fatal("expired tokens or families kept")
	}
	_ = r1
}
