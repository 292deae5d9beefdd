package e2e_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// TestGoSDKClientStepsUpOnTheHTTP403 (TASKBRIDGE_MCP_HTTP_SCOPE_CHALLENGE
// on): a go-sdk client linked read-only calls a write tool; the server
// answers 403 with an insufficient_scope challenge and a JSON body, the
// client sends the person to the consent page again asking for the union
// of the scopes, the person allows writing, and the retried call creates
// the task. This is a client the option is for; SECURE.md "Scope refusal
// forms" says which clients do not step up on it.
func TestGoSDKClientStepsUpOnTheHTTP403(t *testing.T) {
	srv := startServerWith(t, map[string]string{"TASKBRIDGE_MCP_HTTP_SCOPE_CHALLENGE": "true"})
	p := newPerson(t)
	newBrowser(t, srv).signUp(p)
	b := newBrowser(t, srv)

	var mu sync.Mutex
	var consents []string // each consent page the person saw
	fetch := func(_ context.Context, args *auth.AuthorizationArgs) (*auth.AuthorizationResult, error) {
		mu.Lock()
		defer mu.Unlock()
		var q url.Values
		var consent string
		if len(consents) == 0 {
			q, consent = b.authorize(args.URL, p, consentChoice{}) // signs in; read only
		} else {
			q, consent = allowSignedIn(b, args.URL, true)
		}
		consents = append(consents, consent)
		return &auth.AuthorizationResult{Code: q.Get("code"), State: q.Get("state"), Iss: q.Get("iss")}, nil
	}
	h := appOAuth(t, fetch)
	sess := connectApp(t, srv, h)

	// What the client gets before it steps up: 403, the challenge, and
	// the error as JSON like every other error of this server.
	ts, err := h.TokenSource(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	tok, err := ts.Token()
	if err != nil {
		t.Fatal(err)
	}
	a := postMCP(t, srv, tok.AccessToken, map[string]any{"jsonrpc": "2.0", "id": 1, "method": "tools/call",
		"params": map[string]any{"name": "create_task", "arguments": map[string]any{"title": "not yet"}}})
	var errBody struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	if a.Status != http.StatusForbidden || !strings.Contains(a.Challenge, `error="insufficient_scope"`) || !strings.Contains(a.Challenge, `scope="tasks.write"`) ||
		a.ContentType != "application/json" || json.Unmarshal([]byte(a.Body), &errBody) != nil || errBody.Error != "insufficient_scope" ||
		!strings.Contains(errBody.Description, "create_task needs the tasks.write permission") {
		t.Fatalf("read-only create_task: %+v", a)
	}

	res, err := sess.CallTool(context.Background(), &mcp.CallToolParams{Name: "create_task", Arguments: map[string]any{"title": "after step-up"}})
	if err != nil || res.IsError {
		t.Fatalf("create_task after the 403: %v %+v", err, res)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(consents) != 2 || strings.Contains(consents[0], `name="grant_write" value="1" checked`) ||
		!strings.Contains(consents[1], `name="grant_write"`) {
		t.Fatalf("want a read-only consent, then one offering write; saw %d consent pages", len(consents))
	}
}

// allowSignedIn is the consent step for a person already signed in in b:
// the authorization URL shows the consent page at once, and Allow (with
// the write box ticked or not) redirects to the app with the code.
func allowSignedIn(b *browser, authURL string, write bool) (url.Values, string) {
	b.t.Helper()
	consent := b.Get(authURL)
	if consent.Status != http.StatusOK || !strings.Contains(consent.Body, `name="decision" value="allow"`) {
		b.t.Fatalf("consent page for a signed-in person: %d\n%s", consent.Status, consent.Body)
	}
	decision := url.Values{"request": {hiddenField(b.t, consent.Body, "request")}, "decision": {"allow"}}
	if write {
		decision.Set("grant_write", "1")
	}
	answer := b.Post("/authorize", decision)
	if answer.Status/100 != 3 || answer.Location == "" {
		b.t.Fatalf("consent decision: %d\n%s", answer.Status, answer.Body)
	}
	return mustParse(b.t, answer.Location).Query(), consent.Body
}
