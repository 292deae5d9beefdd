package e2e_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/oauth2"
)

// connect is one connection of a host to the signed-in person's account:
// the host opens its authorization URL, the person allows (write access
// ticked), and the host redeems the code.
func (b *browser) connect(srv *server, clientID, redirect string) hostTokens {
	b.t.Helper()
	verifier := oauth2.GenerateVerifier()
	consent := b.Get(authorizationURL(srv, clientID, redirect, verifier, "connection-state"))
	if consent.Status != http.StatusOK {
		b.t.Fatalf("consent page: %d\n%s", consent.Status, consent.Body)
	}
	answer := b.Post("/authorize", url.Values{"request": {hiddenField(b.t, consent.Body, "request")},
		"decision": {"allow"}, "grant_write": {"1"}})
	code := mustParse(b.t, answer.Location).Query().Get("code")
	if answer.Status != http.StatusSeeOther || code == "" {
		b.t.Fatalf("Allow: %d to %q", answer.Status, answer.Location)
	}
	return redeemCode(b.t, srv, clientID, redirect, code, verifier)
}

var grantIDRE = regexp.MustCompile(`name="grant_id" value="([^"]+)"`)

// connectedApps returns the account page and the grant of each Disconnect
// button on it, in page order.
func (b *browser) connectedApps() (page, []string) {
	b.t.Helper()
	account := b.Get("/account")
	if account.Status != http.StatusOK {
		b.t.Fatalf("account page: %d\n%s", account.Status, account.Body)
	}
	var ids []string
	for _, m := range grantIDRE.FindAllStringSubmatch(account.Body, -1) {
		ids = append(ids, m[1])
	}
	return account, ids
}

// TestEachConnectionOfOneAppIsSeparate: every ChatGPT connection uses the
// same client_id and redirect URI, so a person's two connections (two
// workspaces) look alike to the server. Each is its own entry on the
// account page; disconnecting one there ends only that one, and refresh
// token reuse in one connection's family revokes that family only.
func TestEachConnectionOfOneAppIsSeparate(t *testing.T) {
	srv := startServer(t)
	p := newPerson(t)
	b := newBrowser(t, srv)
	b.signUp(p)
	const redirect = "http://127.0.0.1:9/callback"
	clientID := registerApp(t, srv, "Workspace App", redirect)
	works := func(what string, tok hostTokens, want int) {
		t.Helper()
		if status, _, body := rawToolsList(t, srv, tok.Access); status != want {
			t.Fatalf("%s: tools/list %d, want %d\n%s", what, status, want, body)
		}
	}
	refresh := func(rt string) (hostTokens, int) {
		t.Helper()
		return postToken(t, srv, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {clientID}})
	}

	first := b.connect(srv, clientID, redirect)
	second := b.connect(srv, clientID, redirect)
	account, ids := b.connectedApps()
	if len(ids) != 2 || ids[0] == ids[1] || !strings.Contains(account.Body, "connection 1 of 2") ||
		!strings.Contains(account.Body, "connection 2 of 2") {
		t.Fatalf("two connections of one app: %d entries %v, want two told apart\n%s", len(ids), ids, account.Body)
	}

	gone := b.Post("/account/connected-apps/revoke", url.Values{"csrf_token": {hiddenField(t, account.Body, "csrf_token")},
		"grant_id": {ids[0]}})
	if gone.Status != http.StatusSeeOther {
		t.Fatalf("Disconnect: %d\n%s", gone.Status, gone.Body)
	}
	works("the disconnected connection", first, http.StatusUnauthorized)
	if _, status := refresh(first.Refresh); status != http.StatusBadRequest {
		t.Fatalf("refresh of the disconnected connection: %d, want 400", status)
	}
	works("the other connection", second, http.StatusOK)
	second, status := refresh(second.Refresh)
	if status != http.StatusOK {
		t.Fatalf("refresh of the other connection: %d", status)
	}
	works("the other connection, refreshed", second, http.StatusOK)
	if _, ids := b.connectedApps(); len(ids) != 1 {
		t.Fatalf("after one Disconnect: %d entries, want 1", len(ids))
	}

	// Reuse: an old refresh token of the second connection presented after
	// its successor was rotated too revokes that family, not the third's.
	third := b.connect(srv, clientID, redirect)
	stolen := second.Refresh
	second, _ = refresh(stolen)
	if _, status := refresh(second.Refresh); status != http.StatusOK {
		t.Fatalf("second rotation: %d", status)
	}
	if _, status := refresh(stolen); status != http.StatusBadRequest {
		t.Fatalf("reused refresh token: %d, want 400", status)
	}
	works("the connection whose refresh token was reused", second, http.StatusUnauthorized)
	works("the third connection", third, http.StatusOK)
	if _, status := refresh(third.Refresh); status != http.StatusOK {
		t.Fatalf("refresh of the third connection after reuse in another: %d", status)
	}
}
