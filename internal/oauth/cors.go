package oauth

import (
	"net/http"
)

// CORS lets browser-based clients read metadata and call /register, /token
// and /revoke from any origin. These endpoints use no cookies and no
// ambient credentials (client authentication is in the request itself), so
// a wildcard origin without credentials grants nothing a page could not do
// from a server. /authorize is never wrapped (RFC 9700 §2.6): it runs on the
// user's session. Twenty lines of our own instead of github.com/rs/cors,
// since the policy is fixed and a dependency would add surface for nothing.
func CORS(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Origin") != "" {
			h := w.Header()
			h.Set("Access-Control-Allow-Origin", "*")
			h.Set("Access-Control-Expose-Headers", "WWW-Authenticate, Retry-After")
			h.Add("Vary", "Origin")
		}
		next.ServeHTTP(w, r)
	})
}

// Preflight answers CORS preflight requests for the CORS-enabled routes.
func Preflight(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
	h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, MCP-Protocol-Version")
	h.Set("Access-Control-Max-Age", "600")
	w.WriteHeader(http.StatusNoContent)
}
