package server

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/taskbridge/taskbridge/internal/httpx"
	"github.com/taskbridge/taskbridge/internal/identity"
)

// mountMCP serves the MCP endpoint behind the authenticator, which is the
// only way a principal (and so a user id) reaches the tools. With the OAuth
// server present, browser Origins are checked (DNS rebinding) and requests
// are rate limited per client before any token is looked up.
func mountMCP(r chi.Router, d Deps) {
	if d.MCP == nil {
		return
	}
	authenticate := d.MCPAuthenticate
	if authenticate == nil && d.OAuth != nil {
		authenticate = d.OAuth.RequireBearer
	}
	if authenticate == nil {
		authenticate = requirePrincipal(d.Config.PublicURL.String() + "/.well-known/oauth-protected-resource/mcp")
	}
	if d.OAuth != nil {
		r.With(d.OAuth.RequireAllowedOrigin, perIP(d, "/mcp", d.Config.OAuth.MCPPerMinute), authenticate).Handle("/mcp", d.MCP)
		return
	}
	r.With(authenticate).Handle("/mcp", d.MCP)
}

// requirePrincipal answers 401 unless an earlier middleware authenticated
// the request. It is the placeholder until the OAuth bearer middleware is
// wired as Deps.MCPAuthenticate; with nothing in front of it, /mcp refuses
// every request, which is the safe default.
func requirePrincipal(resourceMetadataURL string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if _, ok := identity.FromContext(r.Context()); !ok {
				w.Header().Set("WWW-Authenticate", `Bearer resource_metadata="`+resourceMetadataURL+`"`)
				httpx.WriteError(w, r, http.StatusUnauthorized, "invalid_token", "authentication required")
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}
