package oauth_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// get fetches without following redirects, as a signed-in browser.
func (e *env) getAs(b *http.Client, u string) *http.Response {
	e.t.Helper()
	resp, err := b.Get(u)
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

func TestB10_01_UnknownClientShowsLocalError(t *testing.T) {
	e := newEnv(t)
	b := e.browser(e.newUser())
	c := e.publicClient()
	p := newPKCE()
	cases := map[string]url.Values{
		"unknown client":           {"client_id": {"tbc_doesnotexist"}},
		"missing client":           {"client_id": {""}},
		"unregistered redirect":    {"redirect_uri": {"https://evil.example.com/callback"}},
		"missing redirect":         {"redirect_uri": {""}},
		"unknown client + bad req": {"client_id": {"tbc_nope"}, "response_type": {"token"}},
	}
	for name, extra := range cases {
		t.Run(name, func(t *testing.T) {
			resp := e.getAs(b, e.authorizeURL(c, p, extra))
			if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" {
				t.Fatalf("want a local 400 page without redirect, got %d Location=%q", resp.StatusCode, resp.Header.Get("Location"))
			}
			if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
				t.Fatalf("want an HTML error page, got %q", resp.Header.Get("Content-Type"))
			}
		})
	}
}

func TestB10_02_RedirectURIExactMatch(t *testing.T) {
	e := newEnv(t)
	b := e.browser(e.newUser())
	c := e.register(map[string]any{"redirect_uris": []string{"https://app.example.com/cb", "http://127.0.0.1:7777/callback"}})
	p := newPKCE()
	for _, bad := range []string{
		"https://APP.example.com/cb", "https://app.example.com/cb/", "https://app.example.com/cb?x=1",
		"https://app.example.com/cb%2F", "https://user@app.example.com/cb", "https://app.example.com/cb#f",
		"https://app.example.com/CB", "https://app.example.com:443/cb", "http://app.example.com/cb",
		"http://localhost:7777/callback", "http://127.0.0.1:7777/callback/", "https://app.example.com.evil.com/cb",
	} {
		resp := e.getAs(b, e.authorizeURL(c, p, url.Values{"redirect_uri": {bad}}))
		if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" {
			t.Errorf("%s: want local error, got %d %q", bad, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	for _, good := range []string{"https://app.example.com/cb", "http://127.0.0.1:7777/callback", "http://127.0.0.1:51234/callback"} {
		resp := e.getAs(b, e.authorizeURL(c, p, url.Values{"redirect_uri": {good}}))
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s: want consent page, got %d", good, resp.StatusCode)
		}
	}
}

// redirectedError asserts an error redirect to the client with state and iss.
func redirectedError(t *testing.T, e *env, resp *http.Response, wantCode string) url.Values {
	t.Helper()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("want 303 to the client, got %d", resp.StatusCode)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || !strings.HasPrefix(loc.String(), "https://app.example.com/callback?") {
		t.Fatalf("redirect to %q", resp.Header.Get("Location"))
	}
	q := loc.Query()
	if q.Get("error") != wantCode || q.Get("iss") != e.cfg.Issuer() {
		t.Fatalf("want error=%s with iss, got %v", wantCode, q)
	}
	return q
}

func TestB10_03_PKCES256Required(t *testing.T) {
	e := newEnv(t)
	b := e.browser(e.newUser())
	c := e.publicClient()
	p := newPKCE()
	for name, extra := range map[string]url.Values{
		"missing challenge": {"code_challenge": {""}},
		"missing method":    {"code_challenge_method": {""}},
		"plain":             {"code_challenge_method": {"plain"}},
		"malformed":         {"code_challenge": {"short"}},
	} {
		t.Run(name, func(t *testing.T) {
			redirectedError(t, e, e.getAs(b, e.authorizeURL(c, p, extra)), "invalid_request")
		})
	}
}

func TestB10_04_WrongVerifierRejected(t *testing.T) {
	e := newEnv(t)
	user := e.newUser()
	c := e.publicClient()
	p := newPKCE()
	code := e.code(user, c, p, true)
	for name, verifier := range map[string]string{"wrong": newPKCE().Verifier, "missing": "", "too short": "abc"} {
		resp, body := e.exchange(c, code, pkce{Verifier: verifier})
		if resp.StatusCode != http.StatusBadRequest || (body["error"] != "invalid_grant" && body["error"] != "invalid_request") {
			t.Errorf("%s verifier: %d %v", name, resp.StatusCode, body)
		}
	}
	// None of the failures consumed the code.
	if resp, body := e.exchange(c, code, p); resp.StatusCode != http.StatusOK {
		t.Fatalf("the right verifier after failures: %d %v", resp.StatusCode, body)
	}
}

func TestB10_05_CodeReplayRevokesIssuedTokens(t *testing.T) {
	e := newEnv(t)
	user := e.newUser()
	c := e.publicClient()
	p := newPKCE()
	code := e.code(user, c, p, true)
	resp, first := e.exchange(c, code, p)
	if resp.StatusCode != http.StatusOK {
		t.Fatal(first)
	}
	access := first["access_token"].(string)

	// A replay with wrong parameters fails and revokes nothing.
	if resp, body := e.exchange(c, code, newPKCE()); body["error"] != "invalid_grant" {
		t.Fatalf("bad-param replay: %d %v", resp.StatusCode, body)
	}
	if e.mcp("Bearer "+access).StatusCode != http.StatusOK {
		t.Fatal("a replay with wrong parameters revoked the tokens (a DoS lever)")
	}
	// A valid replay fails and revokes everything the code issued.
	if resp, body := e.exchange(c, code, p); resp.StatusCode != http.StatusBadRequest || body["error"] != "invalid_grant" {
		t.Fatalf("replay: %d %v", resp.StatusCode, body)
	}
	if e.mcp("Bearer "+access).StatusCode != http.StatusUnauthorized {
		t.Fatal("access token issued from a replayed code still works")
	}
	if resp, body := e.refresh(c, first["refresh_token"].(string), nil); body["error"] != "invalid_grant" {
		t.Fatalf("refresh token from a replayed code: %d %v", resp.StatusCode, body)
	}
	if e.auditCount("oauth.code.replay") == 0 {
		t.Fatal("replay not audited")
	}
}

func TestB10_06_CodeExpiresAndIsBound(t *testing.T) {
	e := newEnv(t)
	user := e.newUser()
	c := e.publicClient()
	other := e.publicClient()
	p := newPKCE()
	code := e.code(user, c, p, true)

	base := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "client_id": {c.ID},
		"redirect_uri": {c.Redirect}, "code_verifier": {p.Verifier}}
	for name, change := range map[string]url.Values{
		"other client":   {"client_id": {other.ID}},
		"other redirect": {"redirect_uri": {"https://app.example.com/other"}},
		"other resource": {"resource": {"https://other.example.com/mcp"}},
	} {
		form := url.Values{}
		for k, v := range base {
			form[k] = v
		}
		for k, v := range change {
			form[k] = v
		}
		resp, body := e.token(form)
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: %d %v", name, resp.StatusCode, body)
		}
	}
	// Those failures did not consume the code; the binding holds.
	if resp, body := e.token(base); resp.StatusCode != http.StatusOK {
		t.Fatalf("bound request after failures: %d %v", resp.StatusCode, body)
	}

	// A code is valid for 60 s.
	p2 := newPKCE()
	code2 := e.code(user, c, p2, true)
	e.clock.Advance(61 * time.Second)
	if resp, body := e.exchange(c, code2, p2); body["error"] != "invalid_grant" {
		t.Fatalf("expired code: %d %v", resp.StatusCode, body)
	}
	if e.cfg.OAuth.CodeTTL > time.Minute {
		t.Fatalf("default code lifetime %s exceeds 60 s", e.cfg.OAuth.CodeTTL)
	}
}

func TestB10_07_UnsupportedResponseAndGrantTypes(t *testing.T) {
	e := newEnv(t)
	b := e.browser(e.newUser())
	c := e.publicClient()
	p := newPKCE()
	for _, rt := range []string{"token", "id_token", "code token"} {
		redirectedError(t, e, e.getAs(b, e.authorizeURL(c, p, url.Values{"response_type": {rt}})), "unsupported_response_type")
	}
	for _, gt := range []string{"password", "client_credentials", "implicit", "urn:ietf:params:oauth:grant-type:device_code"} {
		resp, body := e.token(url.Values{"grant_type": {gt}, "client_id": {c.ID}, "username": {"u"}, "password": {"p"}})
		if resp.StatusCode != http.StatusBadRequest || body["error"] != "unsupported_grant_type" {
			t.Errorf("grant_type %s: %d %v", gt, resp.StatusCode, body)
		}
	}
}

func TestB10_08_StateAndIssOnEveryRedirect(t *testing.T) {
	e := newEnv(t)
	user := e.newUser()
	b := e.browser(user)
	c := e.publicClient()
	p := newPKCE()
	state := "s t&a=te/ü"

	// Success.
	handle, _ := e.consent(b, e.authorizeURL(c, p, url.Values{"state": {state}}))
	_, q := e.decide(b, handle, "allow", true)
	if q.Get("state") != state || q.Get("iss") != e.cfg.Issuer() || q.Get("code") == "" {
		t.Fatalf("success redirect %v", q)
	}
	// Error before consent.
	q = redirectedError(t, e, e.getAs(b, e.authorizeURL(c, p, url.Values{"state": {state}, "scope": {"admin"}})), "invalid_scope")
	if q.Get("state") != state {
		t.Fatalf("error redirect lost state: %v", q)
	}
	// Denial.
	handle, _ = e.consent(b, e.authorizeURL(c, p, url.Values{"state": {state}}))
	_, q = e.decide(b, handle, "deny", false)
	if q.Get("error") != "access_denied" || q.Get("state") != state || q.Get("iss") != e.cfg.Issuer() {
		t.Fatalf("denial redirect %v", q)
	}
	_, meta := e.getJSON("/.well-known/oauth-authorization-server")
	if meta["authorization_response_iss_parameter_supported"] != true {
		t.Fatal("metadata does not advertise iss")
	}
}

func (e *env) getJSON(path string) (*http.Response, map[string]any) {
	req, _ := http.NewRequest(http.MethodGet, e.url+path, nil)
	return e.do(req)
}

func TestB10_09_TokenResponsesNoStoreJSON(t *testing.T) {
	e := newEnv(t)
	user := e.newUser()
	c := e.publicClient()
	p := newPKCE()
	resp, body := e.exchange(c, e.code(user, c, p, true), p)
	check := func(name string, resp *http.Response) {
		t.Helper()
		if resp.Header.Get("Cache-Control") != "no-store" || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
			t.Errorf("%s: Cache-Control %q Content-Type %q", name, resp.Header.Get("Cache-Control"), resp.Header.Get("Content-Type"))
		}
	}
	if resp.StatusCode != http.StatusOK || body["token_type"] != "Bearer" {
		t.Fatalf("%d %v", resp.StatusCode, body)
	}
	check("success", resp)
	resp, body = e.exchange(c, "tbac_bogus", p)
	check("error", resp)
	if body["error"] != "invalid_grant" {
		t.Fatalf("error body %v", body)
	}
	req, _ := http.NewRequest(http.MethodPost, e.url+"/token", strings.NewReader("{}"))
	req.Header.Set("Content-Type", "application/json")
	resp, body = e.do(req)
	check("wrong content type", resp)
	if body["error"] != "invalid_request" {
		t.Fatalf("json body to /token: %v", body)
	}
}

func TestB10_10_MetadataDocuments(t *testing.T) {
	e := newEnv(t)
	for _, path := range []string{"/.well-known/oauth-authorization-server"} {
		resp, m := e.getJSON(path)
		if resp.StatusCode != http.StatusOK || m["issuer"] != e.url || m["authorization_endpoint"] != e.url+"/authorize" {
			t.Fatalf("%s: %d %v", path, resp.StatusCode, m)
		}
		if got := m["code_challenge_methods_supported"].([]any); len(got) != 1 || got[0] != "S256" {
			t.Errorf("%s: code_challenge_methods_supported %v", path, got)
		}
		if got := m["response_types_supported"].([]any); len(got) != 1 || got[0] != "code" {
			t.Errorf("%s: response_types_supported %v", path, got)
		}
		if _, has := m["jwks_uri"]; has {
			t.Errorf("%s: advertises jwks_uri", path)
		}
	}
	for _, path := range []string{"/.well-known/oauth-protected-resource/mcp"} {
		resp, m := e.getJSON(path)
		if resp.StatusCode != http.StatusOK || m["resource"] != e.cfg.MCPResourceURL() || m["authorization_servers"].([]any)[0] != e.url {
			t.Fatalf("%s: %d %v", path, resp.StatusCode, m)
		}
		if m["resource_policy_uri"] != e.url+"/privacy" {
			t.Errorf("%s: no privacy link: %v", path, m)
		}
	}
	// CORS: yes on token and metadata, never on /authorize.
	for path, want := range map[string]string{"/token": "*", "/.well-known/oauth-authorization-server": "*", "/authorize": ""} {
		req, _ := http.NewRequest(http.MethodOptions, e.url+path, nil)
		req.Header.Set("Origin", "https://browser-client.example")
		req.Header.Set("Access-Control-Request-Method", "POST")
		resp, _ := e.do(req)
		if got := resp.Header.Get("Access-Control-Allow-Origin"); got != want {
			t.Errorf("%s preflight: Access-Control-Allow-Origin %q, want %q", path, got, want)
		}
	}
	req, _ := http.NewRequest(http.MethodGet, e.url+"/authorize?client_id=x", nil)
	req.Header.Set("Origin", "https://browser-client.example")
	if resp, _ := e.do(req); resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Error("/authorize answers with CORS headers")
	}
	// Metadata errors are JSON too.
	resp, m := e.getJSON("/.well-known/oauth-protected-resource/other")
	if resp.StatusCode != http.StatusNotFound || m["error"] == nil {
		t.Errorf("unknown metadata path: %d %v", resp.StatusCode, m)
	}
	_ = context.Background
}

// TestNoDocumentsThatWouldMisdescribeTheServer: no OpenID discovery (this
// server issues no ID tokens, so a document there would be an OpenID
// provider lacking jwks_uri, id_token_signing_alg_values_supported and
// subject_types_supported) and no root protected-resource document (RFC
// 9728 §3.3 makes it describe the origin, which is not a resource here).
// Both are 404 with a JSON error.
func TestNoDocumentsThatWouldMisdescribeTheServer(t *testing.T) {
	e := newEnv(t)
	for _, path := range []string{"/.well-known/openid-configuration", "/.well-known/oauth-protected-resource"} {
		resp, m := e.getJSON(path)
		if resp.StatusCode != http.StatusNotFound || m["error"] == nil {
			t.Errorf("GET %s: %d %v, want 404 with a JSON error", path, resp.StatusCode, m)
		}
		if m["issuer"] != nil || m["resource"] != nil {
			t.Errorf("GET %s still serves metadata: %v", path, m)
		}
	}
}
