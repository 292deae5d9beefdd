package cli_test

import (
	"context"
	"slices"
	"testing"

	"github.com/taskbridge/taskbridge/internal/cli"
)

// serveRoutes is every route `taskbridge serve` mounts. A restructuring
// that loses (or adds) one fails here.
var serveRoutes = []string{
	"GET /", "GET /healthz", "GET /readyz",
	// Handle: every method reaches postOnly, which answers 405 to all but POST.
	"POST /mcp", "GET /mcp", "PUT /mcp", "PATCH /mcp", "DELETE /mcp", "HEAD /mcp", "OPTIONS /mcp", "CONNECT /mcp", "TRACE /mcp", "QUERY /mcp",
	"GET /static/app.css",
	"GET /signup", "POST /signup", "GET /login", "POST /login", "POST /logout",
	"GET /account", "POST /account/connected-apps/revoke",
	"GET /account/privacy-consent", "POST /account/privacy-consent",
	"GET /tasks/{id}",
	"GET /.well-known/oauth-authorization-server", "OPTIONS /.well-known/oauth-authorization-server",
	"GET /.well-known/oauth-protected-resource/mcp", "OPTIONS /.well-known/oauth-protected-resource/mcp",
	"POST /register", "OPTIONS /register", "POST /token", "OPTIONS /token", "POST /revoke", "OPTIONS /revoke",
	"GET /authorize", "POST /authorize",
	"GET /privacy", "GET /account/data", "GET /account/export", "POST /account/delete",
	"GET /api/export", "DELETE /api/account",
}

func TestServeMountsEveryRoute(t *testing.T) {
	for name, extra := range map[string][]string{
		"default": nil,
		// The OpenAI domain-verification token is the one route that
		// depends on configuration.
		"apps challenge": {"GET /.well-known/openai-apps-challenge"},
		// The conformance fixture swaps /mcp's authenticator, not its routes.
		"mcp test fixture": nil,
	} {
		t.Run(name, func(t *testing.T) {
			env := map[string]string{"TASKBRIDGE_ENV": "test", "DATABASE_URL": tdb.AppURL, "TASKBRIDGE_METRICS_ADDR": "off"}
			switch name {
			case "apps challenge":
				env["TASKBRIDGE_OPENAI_APPS_CHALLENGE"] = "challenge-token"
			case "mcp test fixture":
				env["TASKBRIDGE_MCP_TEST_FIXTURE"] = "true"
			}
			got, err := cli.ServeRoutes(context.Background(), envFrom(env))
			if err != nil {
				t.Fatal(err)
			}
			want := append(slices.Clone(serveRoutes), extra...)
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("serve mounts\n%q\nwant\n%q", got, want)
			}
		})
	}
}
