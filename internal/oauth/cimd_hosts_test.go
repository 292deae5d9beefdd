package oauth_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/taskbridge/taskbridge/internal/oauth"
)

// hostDocument is the shape of a real host's client ID metadata document
// as published in December 2026, with its origin replaced by the local
// test server's (the document must name its own URL). sends are the
// redirect URIs the host really puts in its authorization requests.
type hostDocument struct {
	path  string
	doc   map[string]any
	sends []string
}

// hostDocuments: ChatGPT (https://chatgpt.com/oauth/client.json: the stable
// redirect because this server returns iss; private_key_jwt preferred, none
// supported), Codex (https://chatgpt.com/oauth/codex/client.json: a
// port-less 127.0.0.1 redirect, the CLI listens on a run-time port) and
// Claude Code (https://claude.ai/oauth/claude-code-client-metadata:
// port-less localhost and 127.0.0.1 redirects, anthropics/claude-code#42301
// sends http://localhost:8080/callback).
var hostDocuments = map[string]hostDocument{
	"ChatGPT": {path: "/oauth/client.json", doc: map[string]any{
		"client_name":   "ChatGPT",
		"redirect_uris": []string{"https://chatgpt.com/connector_platform_oauth_redirect"},
		"grant_types":   []string{"authorization_code", "refresh_token"}, "response_types": []string{"code"},
		"token_endpoint_auth_method":            "private_key_jwt",
		"token_endpoint_auth_methods_supported": []string{"none", "private_key_jwt"},
		"jwks_uri":                              "https://chatgpt.com/oauth/jwks.json",
	}, sends: []string{"https://chatgpt.com/connector_platform_oauth_redirect"}},
	"Codex": {path: "/oauth/codex/client.json", doc: map[string]any{
		"client_name":   "Codex",
		"redirect_uris": []string{"http://127.0.0.1/callback"},
		"grant_types":   []string{"authorization_code", "refresh_token"}, "response_types": []string{"code"},
		"token_endpoint_auth_method": "none",
	}, sends: []string{"http://127.0.0.1:1455/callback"}},
	"Claude Code": {path: "/oauth/claude-code-client-metadata", doc: map[string]any{
		"client_name":   "Claude Code",
		"redirect_uris": []string{"http://localhost/callback", "http://127.0.0.1/callback"},
		"grant_types":   []string{"authorization_code", "refresh_token"}, "response_types": []string{"code"},
		"token_endpoint_auth_method": "none",
	}, sends: []string{"http://localhost:8080/callback", "http://localhost:52163/callback", "http://127.0.0.1:52163/callback"}},
}

// TestHostMetadataDocumentsLinkThroughTheRealFetch: each host's published
// document, served over TLS and fetched by the real CIMD path, links with
// the redirect URI the host really sends (RFC 8252 §7.3: a loopback
// redirect's port varies, for localhost as for the IP literals): consent,
// the code with iss at that exact URI, a token for a public client (the
// intersection of the host's methods and ours is none) and a call to /mcp.
// A different path or host on loopback stays refused.
func TestHostMetadataDocumentsLinkThroughTheRealFetch(t *testing.T) {
	d := newDocServer(t)
	d.serve = func(w http.ResponseWriter, r *http.Request, id string) {
		for _, h := range hostDocuments {
			if h.path == r.URL.Path {
				doc := map[string]any{"client_id": id}
				for k, v := range h.doc {
					doc[k] = v
				}
				w.Header().Set("Content-Type", "application/json")
				_ = json.NewEncoder(w).Encode(doc)
				return
			}
		}
		http.NotFound(w, r)
	}
	e := newEnv(t, withOptions(oauth.WithCIMDRootCAs(poolOf(d.srv)), oauth.WithCIMDAddressPolicy(allowLoopback)))
	// No subtests: the env's helpers fail the test they were built with.
	for name, h := range hostDocuments {
		for _, redirect := range h.sends {
			user := e.newUser()
			b := e.browser(user)
			c := testClient{ID: d.srv.URL + h.path, Redirect: redirect}
			p := newPKCE()
			handle, page := e.consent(b, e.authorizeURL(c, p, nil))
			if !strings.Contains(page, name) {
				t.Fatalf("%s %s: the consent page does not name the app:\n%s", name, redirect, page)
			}
			resp, q := e.decide(b, handle, "allow", false)
			if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), redirect+"?") ||
				q.Get("code") == "" || q.Get("iss") != e.url {
				t.Fatalf("%s %s: decision %d to %q, want the code and iss at the URI the host sent", name, redirect, resp.StatusCode, resp.Header.Get("Location"))
			}
			resp, body := e.exchange(c, q.Get("code"), p)
			if resp.StatusCode != http.StatusOK || body["refresh_token"] == nil {
				t.Fatalf("%s %s: token exchange as a public client: %d %v", name, redirect, resp.StatusCode, body)
			}
			if got := e.mcp("Bearer " + body["access_token"].(string)).StatusCode; got != http.StatusOK {
				t.Fatalf("%s %s: /mcp with the token: %d", name, redirect, got)
			}
		}
	}
	b := e.browser(e.newUser())
	for _, bad := range []string{"http://localhost:8080/other", "http://localhost:8080/callback/x", "http://127.0.0.2:8080/callback",
		"https://localhost:8080/callback", "http://localhost.evil.example:8080/callback"} {
		c := testClient{ID: d.srv.URL + hostDocuments["Claude Code"].path, Redirect: bad}
		resp := e.getAs(b, e.authorizeURL(c, newPKCE(), url.Values{}))
		if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" {
			t.Errorf("%s: %d %q, want the local error page", bad, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
}
