package e2e_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

// TestBrowserLinksAnAppThroughTheRealPages drives the authorization pages
// in headless chromium (web/widget/test/oauth.test.mjs): the login form,
// the consent page and its redirect to the app, as ChatGPT or Claude send
// a person through them. Go's HTTP client ignores CSP; a browser applies
// the consent page's form-action to the 303 that carries the code, so
// only a browser shows that the app really receives it. The code is then
// redeemed and the token used, so the whole link is real. The app asks for
// write access too, and the person clicks Allow without ticking it: the
// token and tools/list are read-only (P5).
func TestBrowserLinksAnAppThroughTheRealPages(t *testing.T) {
	skipUnlessBrowserTests(t)
	srv := startServer(t)
	p := newPerson(t)
	newBrowser(t, srv).signUp(p)

	got := make(chan url.Values, 1)
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case got <- r.URL.Query():
		default:
		}
		_, _ = io.WriteString(w, "the app got its answer")
	}))
	defer app.Close()
	redirect := app.URL + "/callback"
	reg, _ := json.Marshal(map[string]any{"client_name": "Browser App", "redirect_uris": []string{redirect},
		"token_endpoint_auth_method": "none", "grant_types": []string{"authorization_code"}})
	resp, err := http.Post(srv.URL+"/register", "application/json", bytes.NewReader(reg))
	if err != nil {
		t.Fatal(err)
	}
	var client struct {
		ID string `json:"client_id"`
	}
	err = json.NewDecoder(resp.Body).Decode(&client)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusCreated || client.ID == "" {
		t.Fatalf("register: %d %v", resp.StatusCode, err)
	}
	verifier := oauth2.GenerateVerifier()
	authURL := srv.URL + "/authorize?" + url.Values{
		"response_type": {"code"}, "client_id": {client.ID}, "redirect_uri": {redirect},
		"code_challenge": {oauth2.S256ChallengeFromVerifier(verifier)}, "code_challenge_method": {"S256"},
		"state": {"browser-state"}, "scope": {"tasks.read tasks.write"}, "resource": {srv.MCPURL()},
	}.Encode()

	if err := runNodeTest(t, "test/oauth.test.mjs", "AUTH_URL="+authURL, "CALLBACK_URL="+redirect,
		"EMAIL="+p.Email, "PASSWORD="+p.Password); err != nil {
		t.Fatalf("browser linking failed: %v", err)
	}

	var q url.Values
	select {
	case q = <-got:
	case <-time.After(5 * time.Second):
		t.Fatal("the app's redirect URI was never reached")
	}
	if q.Get("state") != "browser-state" || q.Get("iss") != srv.URL || q.Get("code") == "" {
		t.Fatalf("authorization response %v: want the code, the app's state and iss %s", q, srv.URL)
	}
	form := url.Values{"grant_type": {"authorization_code"}, "code": {q.Get("code")}, "redirect_uri": {redirect},
		"client_id": {client.ID}, "code_verifier": {verifier}, "resource": {srv.MCPURL()}}
	resp, err = http.Post(srv.URL+"/token", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
		Scope       string `json:"scope"`
	}
	err = json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK || tok.AccessToken == "" {
		t.Fatalf("token: %d %v", resp.StatusCode, err)
	}
	// The person clicked Allow without ticking write access (P5).
	if tok.Scope != "tasks.read" {
		t.Fatalf("token scope %q after Allow with the write box as rendered, want tasks.read", tok.Scope)
	}
	if status, _, body := rawToolsList(t, srv, tok.AccessToken); status != http.StatusOK || !strings.Contains(body, "list_tasks") ||
		strings.Contains(body, "create_task") {
		t.Fatalf("tools/list with the browser-linked read-only token: %d, want list_tasks and no write tool\n%s", status, body)
	}
}
