package doctor

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/taskbridge/taskbridge/internal/identity"
)

// authServerDoc is the part of RFC 8414 metadata hosts rely on.
type authServerDoc struct {
	Issuer                            string   `json:"issuer"`
	AuthorizationEndpoint             string   `json:"authorization_endpoint"`
	TokenEndpoint                     string   `json:"token_endpoint"`
	RegistrationEndpoint              string   `json:"registration_endpoint"`
	CodeChallengeMethodsSupported     []string `json:"code_challenge_methods_supported"`
	ScopesSupported                   []string `json:"scopes_supported"`
	AuthorizationResponseISSSupported bool     `json:"authorization_response_iss_parameter_supported"`
	ClientIDMetadataDocumentSupported bool     `json:"client_id_metadata_document_supported"`
}

// requiredScopes are the scopes the server's tools need, from the
// server's own list, so a fork that renames its scopes checks those.
func requiredScopes() []string {
	scopes := identity.ResourceScopes()
	out := make([]string, len(scopes))
	for i, s := range scopes {
		out[i] = string(s)
	}
	return out
}

// andList is "a", "a and b", "a, b and c".
func andList(items []string) string {
	if len(items) < 2 {
		return strings.Join(items, "")
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}

// checkAuthServer is step d: the issuer the metadata names and its RFC
// 8414 document.
func (r *run) checkAuthServer(ctx context.Context) {
	if r.prm == nil {
		r.skip("as", "no usable protected-resource metadata to find the authorization server")
		return
	}
	issuerRaw := r.prm.AuthorizationServers[0]
	issuer, err := url.Parse(issuerRaw)
	if err != nil || !issuer.IsAbs() || issuer.Host == "" {
		r.fail("as.issuer", fmt.Sprintf("authorization server %q is not an absolute URL", issuerRaw), "list the issuer URL (TASKBRIDGE_PUBLIC_URL) in authorization_servers")
		return
	}
	if !sameOrigin(r.mcpURL, issuer) {
		r.fail("as.issuer", fmt.Sprintf("authorization server %s is on another origin than %s; the doctor does not follow it", issuer.Redacted(), originOf(r.mcpURL)),
			"taskbridge is its own authorization server and its issuer is TASKBRIDGE_PUBLIC_URL; "+r.publicURLFix(issuerRaw+"/mcp"))
		return
	}
	r.issuer = issuer

	// RFC 8414 puts the well-known part before the issuer's path, so
	// behind a path prefix this URL is outside what the proxy forwards.
	// taskbridge serves no OpenID discovery (it issues no ID tokens), so
	// this is the one document hosts can find.
	docURL := originOf(issuer) + "/.well-known/oauth-authorization-server" + strings.TrimSuffix(issuer.EscapedPath(), "/")
	r.asMeta = r.fetchASMeta(ctx, "as.metadata", docURL, issuerRaw, true)
}

// fetchASMeta fetches one metadata document and checks what hosts check.
// It returns the document whenever it could be parsed.
func (r *run) fetchASMeta(ctx context.Context, id, docURL, issuer string, required bool) *authServerDoc {
	resp, body, err := r.get(ctx, docURL, http.Header{"Origin": {corsProbeOrigin}})
	if err != nil {
		r.fail(id, fmt.Sprintf("GET %s: %v", docURL, err), r.unreachableFix(err))
		return nil
	}
	if !r.metadataStatusOK(id, docURL, resp, required) {
		return nil
	}
	if !isJSON(resp) {
		r.fail(id, fmt.Sprintf("%s is %q, not JSON", docURL, resp.Header.Get("Content-Type")), "serve the metadata as application/json")
		return nil
	}
	var doc authServerDoc
	if err := json.Unmarshal(body, &doc); err != nil {
		r.fail(id, fmt.Sprintf("%s is not valid JSON: %v", docURL, err), "serve the RFC 8414 document unchanged")
		return nil
	}
	ok := true
	if doc.Issuer != issuer {
		ok = false
		fix := r.publicURLFix(doc.Issuer + "/mcp")
		if doc.Issuer == issuer+"/" || issuer == doc.Issuer+"/" {
			fix = "the issuer and the protected resource's authorization_servers entry must be the same string: remove the trailing slash (TASKBRIDGE_PUBLIC_URL must not end with /)"
		}
		r.fail(id+".issuer", fmt.Sprintf("%s says issuer %q but the protected resource names %q; hosts reject the mismatch", docURL, doc.Issuer, issuer), fix)
	}
	if !secureURL(doc.Issuer) {
		ok = false
		r.fail(id+".issuer", fmt.Sprintf("issuer %q is not https", doc.Issuer), "set TASKBRIDGE_PUBLIC_URL to the https URL hosts reach")
	}
	if !slices.Contains(doc.CodeChallengeMethodsSupported, "S256") {
		ok = false
		r.fail(id+".pkce", fmt.Sprintf("code_challenge_methods_supported is %q, without S256", doc.CodeChallengeMethodsSupported),
			"advertise code_challenge_methods_supported: [\"S256\"]; hosts refuse authorization servers without it")
	}
	if !doc.AuthorizationResponseISSSupported {
		ok = false
		r.fail(id+".iss", "authorization_response_iss_parameter_supported is not true",
			"return iss on every authorization response (RFC 9207) and advertise it; ChatGPT uses its stable redirect URI only then, and it defends against mix-up")
	}
	for _, ep := range []struct{ name, value string }{
		{"authorization_endpoint", doc.AuthorizationEndpoint},
		{"token_endpoint", doc.TokenEndpoint},
		{"registration_endpoint", doc.RegistrationEndpoint},
	} {
		if !r.checkEndpoint(id+".endpoints", ep.name, ep.value) {
			ok = false
		}
	}
	var missing []string
	for _, s := range requiredScopes() {
		if !slices.Contains(doc.ScopesSupported, s) {
			missing = append(missing, s)
		}
	}
	if len(missing) > 0 {
		ok = false
		r.fail(id+".scopes", fmt.Sprintf("scopes_supported %q lacks %s", doc.ScopesSupported, strings.Join(missing, ", ")),
			"advertise "+andList(requiredScopes())+" in scopes_supported: hosts request only advertised scopes")
	}
	r.checkCORS(id+".cors", docURL, resp)
	if ok {
		r.pass(id, fmt.Sprintf("%s: issuer %q, S256, iss, endpoints on this origin", docURL, doc.Issuer))
	}
	return &doc
}

// checkEndpoint requires an endpoint to exist, be https and live on the
// issuer's origin (the doctor reaches only that origin, and a split
// deployment is not what taskbridge ships).
func (r *run) checkEndpoint(id, name, value string) bool {
	if value == "" {
		r.fail(id, name+" is missing", "advertise "+name+"; hosts need it")
		return false
	}
	u, err := url.Parse(value)
	if err != nil || !u.IsAbs() {
		r.fail(id, fmt.Sprintf("%s %q is not an absolute URL", name, value), "advertise absolute URLs built from TASKBRIDGE_PUBLIC_URL")
		return false
	}
	if !secureURL(value) {
		r.fail(id, fmt.Sprintf("%s %q is not https", name, value), "set TASKBRIDGE_PUBLIC_URL to the https URL hosts reach")
		return false
	}
	if !sameOrigin(r.mcpURL, u) {
		r.fail(id, fmt.Sprintf("%s %s is on another origin than %s", name, u.Redacted(), originOf(r.mcpURL)),
			r.publicURLFix(originOf(u)+"/mcp"))
		return false
	}
	return true
}

// secureURL is https, or http on a loopback host (local development).
func secureURL(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil {
		return false
	}
	return u.Scheme == "https" || (u.Scheme == "http" && isLoopback(u.Hostname()))
}
