package oauth_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/modelcontextprotocol/go-sdk/oauthex"

	"github.com/taskbridge/taskbridge/internal/identity"
)

type whoamiOut struct {
	UserID   string `json:"user_id"`
	ClientID string `json:"client_id"`
	Scopes   string `json:"scopes"`
}

// minimalMCP is a stateless go-sdk server with one tool that reports the
// caller as the MCP layer sees it (req.Extra.TokenInfo and the principal).
func minimalMCP() http.Handler {
	s := mcp.NewServer(&mcp.Implementation{Name: "taskbridge-test", Version: "0"}, nil)
	mcp.AddTool(s, &mcp.Tool{Name: "whoami", Description: "who is calling"},
		func(ctx context.Context, req *mcp.CallToolRequest, _ struct{}) (*mcp.CallToolResult, whoamiOut, error) {
			info := req.Extra.TokenInfo
			p, ok := identity.FromContext(ctx)
			if info == nil || !ok || info.UserID != p.UserID.String() {
				return nil, whoamiOut{}, fmt.Errorf("no verified caller")
			}
			return nil, whoamiOut{UserID: info.UserID, ClientID: fmt.Sprint(info.Extra["client_id"]), Scopes: strings.Join(info.Scopes, " ")}, nil
		})
	return mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return s },
		&mcp.StreamableHTTPOptions{Stateless: true, JSONResponse: true})
}

// TestE2E_GoSDKClientLinksAndCallsTool: the go-sdk's own OAuth client
// discovers the protected resource and authorization server metadata,
// registers dynamically, runs PKCE through the real consent form over HTTP
// (signed in through the Authenticator seam), validates iss, exchanges the
// code with the resource parameter and calls a tool.
func TestE2E_GoSDKClientLinksAndCallsTool(t *testing.T) {
	e := newEnv(t, withMCP(minimalMCP()))
	user := e.newUser()
	b := e.browser(user)
	var sawConsent bool
	fetcher := func(ctx context.Context, a *auth.AuthorizationArgs) (*auth.AuthorizationResult, error) {
		handle, page := e.consent(b, a.URL)
		sawConsent = strings.Contains(page, "e2e client")
		resp, q := e.decide(b, handle, "allow", true)
		if resp.StatusCode != http.StatusSeeOther || q.Get("code") == "" {
			return nil, fmt.Errorf("consent: %d %v", resp.StatusCode, q)
		}
		return &auth.AuthorizationResult{Code: q.Get("code"), State: q.Get("state"), Iss: q.Get("iss")}, nil
	}
	h, err := auth.NewAuthorizationCodeHandler(&auth.AuthorizationCodeHandlerConfig{
		DynamicClientRegistrationConfig: &auth.DynamicClientRegistrationConfig{Metadata: &oauthex.ClientRegistrationMetadata{
			RedirectURIs: []string{"http://127.0.0.1:9/callback"}, TokenEndpointAuthMethod: "none",
			GrantTypes: []string{"authorization_code", "refresh_token"}, ClientName: "e2e client",
		}},
		AuthorizationCodeFetcher: fetcher,
		RequestRefreshToken:      true,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	client := mcp.NewClient(&mcp.Implementation{Name: "e2e", Version: "0"}, nil)
	sess, err := client.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: e.cfg.MCPResourceURL(), OAuthHandler: h}, nil)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer sess.Close()
	res, err := sess.CallTool(ctx, &mcp.CallToolParams{Name: "whoami", Arguments: map[string]any{}})
	if err != nil || res.IsError {
		t.Fatalf("call: %v %+v", err, res)
	}
	out, _ := res.StructuredContent.(map[string]any)
	if out["user_id"] != user.String() || out["scopes"] != "tasks.read tasks.write offline_access" && out["scopes"] != "tasks.read tasks.write" {
		t.Fatalf("tool saw %v", out)
	}
	if !sawConsent {
		t.Fatal("the flow did not go through the consent page")
	}
	grants, err := e.oauth.ListGrants(ctx, user)
	if err != nil || len(grants) != 1 || grants[0].ClientName != "e2e client" {
		t.Fatalf("grant %+v %v", grants, err)
	}
}
