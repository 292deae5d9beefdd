package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/modelcontextprotocol/go-sdk/oauthex"
)

const (
	appName     = "E2E Desk App"
	appRedirect = "http://127.0.0.1:9/callback" // a native app's loopback listener; never dialled here
)

// errRelinkDeclined is the fetcher's answer once the person no longer
// wants the app linked: a client asked to authorize again gets nowhere.
var errRelinkDeclined = errors.New("the person declined to link the app again")

// linkedApp is an MCP client (the go-sdk's) linked to a person's account
// through the go-sdk's own OAuth handler.
type linkedApp struct {
	Session *mcp.ClientSession
	OAuth   *auth.AuthorizationCodeHandler

	mu          sync.Mutex
	links       int        // how many times the handler asked the person to authorize
	redirect    url.Values // the authorization response of the first link
	consentPage string
}

func (a *linkedApp) Links() int { a.mu.Lock(); defer a.mu.Unlock(); return a.links }

// AccessToken is the bearer token the client currently holds.
func (a *linkedApp) AccessToken(t *testing.T) string {
	t.Helper()
	ts, err := a.OAuth.TokenSource(context.Background())
	if err != nil || ts == nil {
		t.Fatalf("token source: %v", err)
	}
	tok, err := ts.Token()
	if err != nil {
		t.Fatal(err)
	}
	return tok.AccessToken
}

// linkApp connects the go-sdk client to the server's MCP endpoint. The
// first request gets 401; the handler discovers the protected resource and
// authorization server metadata, registers the app dynamically and sends
// the person to the authorization URL, where b signs in and consents. The
// person links once: a later authorization request is declined.
func linkApp(t *testing.T, srv *server, b *browser, p person, choice consentChoice) *linkedApp {
	t.Helper()
	app := &linkedApp{}
	fetch := func(_ context.Context, args *auth.AuthorizationArgs) (*auth.AuthorizationResult, error) {
		app.mu.Lock()
		app.links++
		first := app.links == 1
		app.mu.Unlock()
		if !first {
			return nil, errRelinkDeclined
		}
		q, consent := b.authorize(args.URL, p, choice)
		app.mu.Lock()
		app.redirect, app.consentPage = q, consent
		app.mu.Unlock()
		if q.Get("code") == "" {
			return nil, fmt.Errorf("authorization response without a code: %v", q)
		}
		return &auth.AuthorizationResult{Code: q.Get("code"), State: q.Get("state"), Iss: q.Get("iss")}, nil
	}
	app.OAuth = appOAuth(t, fetch)
	app.Session = connectApp(t, srv, app.OAuth)
	if app.Links() != 1 {
		t.Fatalf("the person was asked to authorize %d times while linking", app.Links())
	}
	if app.redirect.Get("iss") != srv.URL || app.redirect.Get("state") == "" {
		t.Fatalf("authorization response %v: want iss %s and the client's state", app.redirect, srv.URL)
	}
	if !strings.Contains(app.consentPage, appName) || !strings.Contains(app.consentPage, "/callback") {
		t.Fatalf("the consent page does not name the app and where it redirects:\n%s", app.consentPage)
	}
	return app
}

// appOAuth is the go-sdk's OAuth handler of the app: it registers
// dynamically as a native app and asks fetch for each authorization.
func appOAuth(t *testing.T, fetch auth.AuthorizationCodeFetcher) *auth.AuthorizationCodeHandler {
	t.Helper()
	h, err := auth.NewAuthorizationCodeHandler(&auth.AuthorizationCodeHandlerConfig{
		DynamicClientRegistrationConfig: &auth.DynamicClientRegistrationConfig{Metadata: &oauthex.ClientRegistrationMetadata{
			RedirectURIs: []string{appRedirect}, TokenEndpointAuthMethod: "none",
			GrantTypes: []string{"authorization_code", "refresh_token"}, ClientName: appName,
		}},
		AuthorizationCodeFetcher: fetch,
		RequestRefreshToken:      true,
	})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// connectApp connects the go-sdk MCP client through h, which links the app
// on the first 401.
func connectApp(t *testing.T, srv *server, h *auth.AuthorizationCodeHandler) *mcp.ClientSession {
	t.Helper()
	client := mcp.NewClient(&mcp.Implementation{Name: "e2e-desk-app", Version: "1.0.0"}, nil)
	sess, err := client.Connect(context.Background(), &mcp.StreamableClientTransport{Endpoint: srv.MCPURL(), OAuthHandler: h}, nil)
	if err != nil {
		t.Fatalf("connect and link: %v", err)
	}
	t.Cleanup(func() { _ = sess.Close() })
	return sess
}

// mcpAnswer is an HTTP answer of /mcp as any client sees it.
type mcpAnswer struct {
	Status                 int
	Challenge, ContentType string
	Body                   string
}

// postMCP sends one JSON-RPC message to /mcp over plain HTTP with token,
// as any client would.
func postMCP(t *testing.T, srv *server, token string, msg any) mcpAnswer {
	t.Helper()
	body, err := json.Marshal(msg)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, srv.MCPURL(), bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return mcpAnswer{Status: resp.StatusCode, Challenge: resp.Header.Get("WWW-Authenticate"),
		ContentType: resp.Header.Get("Content-Type"), Body: string(raw)}
}

// rawToolsList sends tools/list to /mcp and returns the response status,
// WWW-Authenticate and body.
func rawToolsList(t *testing.T, srv *server, token string) (int, string, string) {
	t.Helper()
	a := postMCP(t, srv, token, map[string]any{"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": map[string]any{}})
	return a.Status, a.Challenge, a.Body
}
