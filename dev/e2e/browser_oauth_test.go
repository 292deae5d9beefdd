package e2e_test

import (
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
// in headless chromium (web/widget/test/oauth.test.mjs) as a newcomer meets
// them: a host opens its authorization URL in a fresh browser profile, the
// person has no account, clicks "Create an account" on the login page,
// signs up (accepting the privacy policy) and lands on the consent page of
// that same request, then Allow redirects to the app with the code. Go's
// HTTP client ignores CSP; a browser applies the consent page's
// form-action to the 303 that carries the code, so only a browser shows
// that the app really receives it. The code is then redeemed and the token
// used, so the whole link is real. The app asks for write access too, and
// the person clicks Allow without ticking it: the token and tools/list are
// read-only (P5).
func TestBrowserLinksAnAppThroughTheRealPages(t *testing.T) {
	skipUnlessBrowserTests(t)
	srv := startServer(t)
	p := newPerson(t) // no account yet: the browser signs up

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
	clientID := registerApp(t, srv, "Browser App", redirect)
	verifier := oauth2.GenerateVerifier()
	authURL := authorizationURL(srv, clientID, redirect, verifier, "browser-state")

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
	tok := redeemCode(t, srv, clientID, redirect, q.Get("code"), verifier)
	// The person clicked Allow without ticking write access (P5).
	if tok.Scope != "tasks.read" {
		t.Fatalf("token scope %q after Allow with the write box as rendered, want tasks.read", tok.Scope)
	}
	if status, _, body := rawToolsList(t, srv, tok.Access); status != http.StatusOK || !strings.Contains(body, "list_tasks") ||
		strings.Contains(body, "create_task") {
		t.Fatalf("tools/list with the browser-linked read-only token: %d, want list_tasks and no write tool\n%s", status, body)
	}
}
