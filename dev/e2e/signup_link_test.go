package e2e_test

import (
	"bytes"
	"encoding/json"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/oauth2"
)

// registerApp registers a public client through /register, as a host does
// when it is first connected, and returns its client_id. It may refresh
// its tokens.
func registerApp(t *testing.T, srv *server, name, redirect string) string {
	t.Helper()
	reg, _ := json.Marshal(map[string]any{"client_name": name, "redirect_uris": []string{redirect},
		"token_endpoint_auth_method": "none", "grant_types": []string{"authorization_code", "refresh_token"}})
	resp, err := http.Post(srv.URL+"/register", "application/json", bytes.NewReader(reg))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var client struct {
		ID string `json:"client_id"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&client); err != nil || resp.StatusCode != http.StatusCreated || client.ID == "" {
		t.Fatalf("register: %d %v", resp.StatusCode, err)
	}
	return client.ID
}

// authorizationURL is the URL a host opens in the person's browser.
func authorizationURL(srv *server, clientID, redirect, verifier, state string) string {
	return srv.URL + "/authorize?" + url.Values{
		"response_type": {"code"}, "client_id": {clientID}, "redirect_uri": {redirect},
		"code_challenge": {oauth2.S256ChallengeFromVerifier(verifier)}, "code_challenge_method": {"S256"},
		"state": {state}, "scope": {"tasks.read tasks.write"}, "resource": {srv.MCPURL()},
	}.Encode()
}

// hostTokens is what a host holds after /token.
type hostTokens struct {
	Access  string `json:"access_token"`
	Refresh string `json:"refresh_token"`
	Scope   string `json:"scope"`
}

// redeemCode exchanges an authorization code at /token as the public
// client.
func redeemCode(t *testing.T, srv *server, clientID, redirect, code, verifier string) hostTokens {
	t.Helper()
	tok, status := postToken(t, srv, url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirect},
		"client_id": {clientID}, "code_verifier": {verifier}, "resource": {srv.MCPURL()}})
	if status != http.StatusOK || tok.Access == "" {
		t.Fatalf("token: %d", status)
	}
	return tok
}

// postToken posts form to /token and returns the answer and its status.
func postToken(t *testing.T, srv *server, form url.Values) (hostTokens, int) {
	t.Helper()
	resp, err := http.Post(srv.URL+"/token", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tok hostTokens
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil {
		t.Fatal(err)
	}
	return tok, resp.StatusCode
}

var signupLinkRE = regexp.MustCompile(`<a href="(/signup[^"]*)">Create an account</a>`)

// TestNewcomerSignsUpInTheMiddleOfLinkingAnApp: a host sends someone
// without an account to the authorization URL in a fresh browser. The
// login page's "Create an account" keeps the pending authorization through
// the sign-up form (also through a refused first attempt), and the new
// account lands on the consent page of that request, not on an empty
// account page; Allow sends the code to the host, whose token works.
func TestNewcomerSignsUpInTheMiddleOfLinkingAnApp(t *testing.T) {
	srv := startServer(t)
	const redirect = "http://127.0.0.1:9/callback"
	clientID := registerApp(t, srv, "Newcomer App", redirect)
	verifier := oauth2.GenerateVerifier()
	authURL := authorizationURL(srv, clientID, redirect, verifier, "newcomer-state")

	b := newBrowser(t, srv)
	first := b.Get(authURL)
	if first.Status != http.StatusSeeOther || mustParse(t, first.Location).Path != "/login" {
		t.Fatalf("authorize in a fresh browser: %d to %q, want the login page", first.Status, first.Location)
	}
	login := b.Get(first.Location)
	m := signupLinkRE.FindStringSubmatch(login.Body)
	if login.Status != http.StatusOK || m == nil {
		t.Fatalf("login page without a Create an account link: %d\n%s", login.Status, login.Body)
	}
	signup := b.Get(html.UnescapeString(m[1]))
	if signup.Status != http.StatusOK {
		t.Fatalf("sign-up page: %d\n%s", signup.Status, signup.Body)
	}
	p := newPerson(t)
	form := url.Values{
		"csrf_token": {hiddenField(t, signup.Body, "csrf_token")},
		"next":       {hiddenField(t, signup.Body, "next")},
		"email":      {p.Email}, "password": {p.Password}, "password_confirm": {p.Password + " typo"}, "consent": {"yes"},
	}
	retry := b.Post("/signup", form)
	if retry.Status != http.StatusBadRequest || !strings.Contains(retry.Body, "do not match") {
		t.Fatalf("sign-up with mismatched passwords: %d\n%s", retry.Status, retry.Body)
	}
	form.Set("csrf_token", hiddenField(t, retry.Body, "csrf_token"))
	form.Set("next", hiddenField(t, retry.Body, "next"))
	form.Set("password_confirm", p.Password)
	done := b.Post("/signup", form)
	back := mustParse(t, done.Location)
	if done.Status != http.StatusSeeOther || back.Path != "/authorize" || back.Query().Get("client_id") != clientID ||
		back.Query().Get("state") != "newcomer-state" {
		t.Fatalf("sign-up: %d to %q, want the pending authorization request again", done.Status, done.Location)
	}
	consent := b.Get(done.Location)
	if consent.Status != http.StatusOK || !strings.Contains(consent.Body, "Newcomer App") ||
		!strings.Contains(consent.Body, `name="decision" value="allow"`) {
		t.Fatalf("after sign-up: %d, want the consent page for the app\n%s", consent.Status, consent.Body)
	}
	answer := b.Post("/authorize", url.Values{"request": {hiddenField(t, consent.Body, "request")}, "decision": {"allow"}})
	q := mustParse(t, answer.Location).Query()
	if answer.Status != http.StatusSeeOther || !strings.HasPrefix(answer.Location, redirect+"?") || q.Get("code") == "" ||
		q.Get("state") != "newcomer-state" || q.Get("iss") != srv.URL {
		t.Fatalf("Allow: %d to %q, want the code, state and iss at the app", answer.Status, answer.Location)
	}
	tok := redeemCode(t, srv, clientID, redirect, q.Get("code"), verifier)
	if status, _, body := rawToolsList(t, srv, tok.Access); status != http.StatusOK || !strings.Contains(body, "list_tasks") {
		t.Fatalf("tools/list with the newcomer's token: %d\n%s", status, body)
	}
}
