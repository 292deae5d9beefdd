package oauth_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestB10_15_ConsentPage(t *testing.T) {
	e := newEnv(t)
	user := e.newUser()
	b := e.browser(user)
	c := e.register(map[string]any{"client_name": `<script>alert(1)</script> Tasks`})
	p := newPKCE()

	resp, err := b.Get(e.authorizeURL(c, p, nil))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") || strings.Contains(csp, "script-src") {
		t.Fatalf("consent page CSP %q", csp)
	}
	handle, page := e.consent(b, e.authorizeURL(c, p, nil))
	for _, want := range []string{
		"&lt;script&gt;alert(1)&lt;/script&gt; Tasks", "not verified", // escaped, marked unverified
		"https://<strong>app.example.com</strong>/callback", // exact redirect URI, host highlighted
		"See your tasks", "Create, change, complete and delete your tasks",
		`name="grant_write" value="1">`, // write is optional, and unticked
		`href="` + e.url + `/privacy"`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("consent page lacks %q", want)
		}
	}
	if strings.Contains(page, "<script>") {
		t.Fatal("client name rendered unescaped")
	}

	// A cross-site POST of the form is refused, and does not consume the handle.
	req, _ := http.NewRequest(http.MethodPost, e.url+"/authorize", strings.NewReader(url.Values{"request": {handle}, "decision": {"allow"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	req.AddCookie(&http.Cookie{Name: sessionCookie, Value: user.String()})
	if resp, _ := e.do(req); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-site consent POST: %d", resp.StatusCode)
	}
	// Another signed-in user cannot use this user's handle.
	if resp, _ := e.decide(e.browser(e.newUser()), handle, "allow", true); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("handle used by another user: %d", resp.StatusCode)
	}
	// Read-only grant: write left unticked.
	resp, q := e.decide(b, handle, "allow", false)
	if resp.StatusCode != http.StatusSeeOther || q.Get("code") == "" {
		t.Fatalf("allow: %d %v", resp.StatusCode, q)
	}
	// The handle is single-use.
	if resp, _ := e.decide(b, handle, "allow", true); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("handle reused: %d", resp.StatusCode)
	}
	grants, err := e.oauth.ListGrants(context.Background(), user)
	if err != nil || len(grants) != 1 || len(grants[0].Scopes) != 1 || grants[0].Scopes[0] != "tasks.read" || grants[0].ClientID != c.ID {
		t.Fatalf("grant row: %+v %v", grants, err)
	}
	// Cancel: access_denied to the validated URI, recorded.
	handle, _ = e.consent(b, e.authorizeURL(c, p, nil))
	_, q = e.decide(b, handle, "deny", true)
	if q.Get("error") != "access_denied" || q.Get("state") != "st-123" || q.Get("iss") != e.cfg.Issuer() {
		t.Fatalf("cancel: %v", q)
	}
	records, err := e.oauth.ListConsentRecords(context.Background(), user)
	if err != nil || len(records) != 2 || records[0].Action != "grant" || records[1].Action != "deny" || records[0].ConsentVersion == "" {
		t.Fatalf("consent records %+v %v", records, err)
	}
	// Someone not signed in is sent to log in, with the request preserved.
	anon := &http.Client{CheckRedirect: noRedirect}
	resp, err = anon.Get(e.authorizeURL(c, p, nil))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/login?next=%2Fauthorize%3F") {
		t.Fatalf("anonymous: %d %q", resp.StatusCode, loc)
	}
}

func TestB10_16_RegistrationValidation(t *testing.T) {
	e := newEnv(t)
	long := "https://app.example.com/" + strings.Repeat("a", 2000)
	many := make([]string, 11)
	for i := range many {
		many[i] = "https://app.example.com/cb" + string(rune('a'+i))
	}
	cases := map[string]struct {
		meta map[string]any
		code string
	}{
		"no redirect_uris":      {map[string]any{"redirect_uris": []string{}}, "invalid_redirect_uri"},
		"javascript":            {map[string]any{"redirect_uris": []string{"javascript:alert(1)"}}, "invalid_redirect_uri"},
		"javascript obfuscated": {map[string]any{"redirect_uris": []string{" JaVa\tScRiPt:alert(1)"}}, "invalid_redirect_uri"},
		"data":                  {map[string]any{"redirect_uris": []string{"data:text/html,hi"}}, "invalid_redirect_uri"},
		"vbscript":              {map[string]any{"redirect_uris": []string{"vbscript:x"}}, "invalid_redirect_uri"},
		"file":                  {map[string]any{"redirect_uris": []string{"file:///etc/passwd"}}, "invalid_redirect_uri"},
		"blob":                  {map[string]any{"redirect_uris": []string{"blob:https://a.example/x"}}, "invalid_redirect_uri"},
		"custom scheme":         {map[string]any{"redirect_uris": []string{"myapp://cb"}}, "invalid_redirect_uri"},
		"http non-loopback":     {map[string]any{"redirect_uris": []string{"http://app.example.com/cb"}}, "invalid_redirect_uri"},
		"fragment":              {map[string]any{"redirect_uris": []string{"https://app.example.com/cb#x"}}, "invalid_redirect_uri"},
		"userinfo":              {map[string]any{"redirect_uris": []string{"https://u:p@app.example.com/cb"}}, "invalid_redirect_uri"},
		"relative":              {map[string]any{"redirect_uris": []string{"/cb"}}, "invalid_redirect_uri"},
		"too long":              {map[string]any{"redirect_uris": []string{long}}, "invalid_redirect_uri"},
		"too many":              {map[string]any{"redirect_uris": many}, "invalid_redirect_uri"},
		"space":                 {map[string]any{"redirect_uris": []string{"https://app.example.com/c b"}}, "invalid_redirect_uri"},
		"dot segment":           {map[string]any{"redirect_uris": []string{"https://app.example.com/a/../cb"}}, "invalid_redirect_uri"},
		"encoded dot segment":   {map[string]any{"redirect_uris": []string{"https://app.example.com/a/%2e%2e/cb"}}, "invalid_redirect_uri"},
		"mixed-case dots":       {map[string]any{"redirect_uris": []string{"https://app.example.com/a/.%2E/cb"}}, "invalid_redirect_uri"},
		"encoded single dot":    {map[string]any{"redirect_uris": []string{"https://app.example.com/a/%2e/cb"}}, "invalid_redirect_uri"},
		"dots by encoded slash": {map[string]any{"redirect_uris": []string{"https://app.example.com/a%2F..%2Fcb"}}, "invalid_redirect_uri"},
		"double-encoded dots":   {map[string]any{"redirect_uris": []string{"https://app.example.com/a/%252e%252e/cb"}}, "invalid_redirect_uri"},
		"auth method":           {map[string]any{"token_endpoint_auth_method": "private_key_jwt"}, "invalid_client_metadata"},
		"grant implicit":        {map[string]any{"grant_types": []string{"implicit"}}, "invalid_client_metadata"},
		"grant password":        {map[string]any{"grant_types": []string{"authorization_code", "password"}}, "invalid_client_metadata"},
		"grant cc":              {map[string]any{"grant_types": []string{"client_credentials"}}, "invalid_client_metadata"},
		"response token":        {map[string]any{"response_types": []string{"token"}}, "invalid_client_metadata"},
		"name too long":         {map[string]any{"client_name": strings.Repeat("n", 101)}, "invalid_client_metadata"},
		"name bidi":             {map[string]any{"client_name": "Good\u202eevil"}, "invalid_client_metadata"},
		"name newline":          {map[string]any{"client_name": "a\nb"}, "invalid_client_metadata"},
		"name reserved":         {map[string]any{"client_name": " TaskBridge Operator Tooling "}, "invalid_client_metadata"},
		"name mixed scripts":    {map[string]any{"client_name": "ChatGРТ Оfficial"}, "invalid_client_metadata"},
		"name stylised":         {map[string]any{"client_name": "ＣｈａｔＧＰＴ"}, "invalid_client_metadata"},
		"unknown scope":         {map[string]any{"scope": "tasks.read admin"}, "invalid_client_metadata"},
		"app type":              {map[string]any{"application_type": "service"}, "invalid_client_metadata"},
		"wrong json type":       {map[string]any{"redirect_uris": "https://app.example.com/cb"}, "invalid_client_metadata"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if _, ok := tc.meta["redirect_uris"]; !ok {
				tc.meta["redirect_uris"] = []string{"https://app.example.com/cb"}
			}
			resp, body := e.postJSON("/register", tc.meta)
			if resp.StatusCode != http.StatusBadRequest || body["error"] != tc.code {
				t.Fatalf("%d %v", resp.StatusCode, body)
			}
		})
	}
	t.Run("accepted", func(t *testing.T) {
		resp, body := e.postJSON("/register", map[string]any{
			"redirect_uris": []string{"http://127.0.0.1:33418/callback", "http://[::1]:9/cb"}, "token_endpoint_auth_method": "none",
			"grant_types": []string{"authorization_code", "refresh_token"}, "client_name": "Claude", "logo_uri": "https://x.example/logo.png",
		})
		if resp.StatusCode != http.StatusCreated || body["application_type"] != "native" || body["client_secret"] != nil || body["logo_uri"] != nil {
			t.Fatalf("%d %v", resp.StatusCode, body)
		}
		resp, body = e.postJSON("/register", map[string]any{"redirect_uris": []string{"https://claude.ai/api/mcp/auth_callback"}, "token_endpoint_auth_method": "client_secret_post"})
		if resp.StatusCode != http.StatusCreated || !strings.HasPrefix(body["client_secret"].(string), "tbcs_") || body["client_secret_expires_at"] != float64(0) {
			t.Fatalf("confidential: %d %v", resp.StatusCode, body)
		}
	})
	t.Run("unused registrations expire, used ones persist", func(t *testing.T) {
		unused := e.publicClient()
		used := e.publicClient()
		e.login(e.newUser(), used, true)
		later := e.clock.Now().Add(e.cfg.OAuth.ClientUnusedTTL + time.Minute)
		if _, err := e.oauth.Store().PurgeExpiredClients(context.Background(), later, 100); err != nil {
			t.Fatal(err)
		}
		var n int
		admin := tdb.Admin(t)
		_ = admin.QueryRow(context.Background(), `SELECT count(*) FROM oauth_clients WHERE client_id = $1`, unused.ID).Scan(&n)
		if n != 0 {
			t.Fatal("unused registration survived the purge")
		}
		_ = admin.QueryRow(context.Background(), `SELECT count(*) FROM oauth_clients WHERE client_id = $1`, used.ID).Scan(&n)
		if n != 1 {
			t.Fatal("a client with a grant was purged")
		}
	})
	t.Run("per-IP rate limit", func(t *testing.T) {
		e := newEnv(t, withVars("TASKBRIDGE_RATE_REGISTER_PER_MINUTE", "3"))
		var last *http.Response
		for range 5 {
			last, _ = e.postJSON("/register", map[string]any{"redirect_uris": []string{"https://app.example.com/cb"}, "token_endpoint_auth_method": "none"})
		}
		if last.StatusCode != http.StatusTooManyRequests || last.Header.Get("Retry-After") == "" {
			t.Fatalf("want 429 with Retry-After, got %d", last.StatusCode)
		}
	})
}

func TestConfidentialClientAuthentication(t *testing.T) {
	e := newEnv(t)
	user := e.newUser()
	for _, method := range []string{"client_secret_post", "client_secret_basic"} {
		t.Run(method, func(t *testing.T) {
			c := e.register(map[string]any{"token_endpoint_auth_method": method})
			p := newPKCE()
			code := e.code(user, c, p, true)
			form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {c.Redirect}, "code_verifier": {p.Verifier}, "client_id": {c.ID}}
			if resp, body := e.token(form); resp.StatusCode != http.StatusUnauthorized || body["error"] != "invalid_client" {
				t.Fatalf("no secret: %d %v", resp.StatusCode, body)
			}
			form.Set("client_secret", "tbcs_wrong")
			if resp, body := e.token(form); resp.StatusCode != http.StatusUnauthorized || body["error"] != "invalid_client" {
				t.Fatalf("wrong secret: %d %v", resp.StatusCode, body)
			}
			form.Del("client_secret")
			req, _ := http.NewRequest(http.MethodPost, e.url+"/token", nil)
			if method == "client_secret_post" {
				form.Set("client_secret", c.Secret)
			} else {
				req.SetBasicAuth(url.QueryEscape(c.ID), url.QueryEscape(c.Secret))
			}
			req, _ = http.NewRequest(http.MethodPost, e.url+"/token", strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if method == "client_secret_basic" {
				req.SetBasicAuth(url.QueryEscape(c.ID), url.QueryEscape(c.Secret))
			}
			if resp, body := e.do(req); resp.StatusCode != http.StatusOK {
				t.Fatalf("right secret: %d %v", resp.StatusCode, body)
			}
		})
	}
}

// Write access is an explicit act (P5): the write checkbox is unticked, so
// a person who only clicks Allow (the form sent as the page renders it)
// gives read access; ticking it gives write access too. The token's scope
// says which, and the MCP tools follow it (dev/e2e
// TestReadOnlyConsentHidesWriteTools).
func TestWriteAccessNeedsAnExplicitTick(t *testing.T) {
	e := newEnv(t)
	user := e.newUser()
	b := e.browser(user)
	c := e.register(map[string]any{"client_name": "Tick Test"})
	for _, tc := range []struct {
		name      string
		tick      bool
		wantScope string
	}{
		{"Allow without touching the box", false, "tasks.read"},
		{"Allow with the box ticked", true, "tasks.read tasks.write"},
	} {
		p := newPKCE()
		handle, page := e.consent(b, e.authorizeURL(c, p, nil))
		asRendered := strings.Contains(page, `name="grant_write" value="1" checked`)
		resp, q := e.decide(b, handle, "allow", asRendered || tc.tick)
		if resp.StatusCode != http.StatusSeeOther || q.Get("code") == "" {
			t.Fatalf("%s: %d %v", tc.name, resp.StatusCode, q)
		}
		resp, body := e.exchange(c, q.Get("code"), p)
		if resp.StatusCode != http.StatusOK || body["scope"] != tc.wantScope {
			t.Errorf("%s: token %d with scope %q, want %q", tc.name, resp.StatusCode, body["scope"], tc.wantScope)
		}
	}
}
