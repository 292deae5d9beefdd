package oauth

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/taskbridge/taskbridge/internal/identity"
	"github.com/taskbridge/taskbridge/internal/postgres"
)

const (
	maxStateLength = 512
	// pendingRequestTTL is how long the consent page stays valid.
	pendingRequestTTLMinutes = 10
)

// authorizeRequest is a validated authorization request.
type authorizeRequest struct {
	Client        *postgres.OAuthClient
	RedirectURI   string
	State         string
	CodeChallenge string
	Resource      string
	Scopes        []identity.Scope
}

// Authorize is the authorization endpoint (GET). It validates the client
// and redirect URI first and shows any problem with them locally; only
// then are errors redirected to the client, always with state and iss.
// A signed-in user gets the consent page; anyone else is sent to log in
// and comes back here.
func (s *Server) Authorize(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q, duplicated := singleValued(r.URL.Query())

	clientID := q.Get("client_id")
	if clientID == "" || slices.Contains(duplicated, "client_id") {
		s.localErrorPage(w, r, http.StatusBadRequest, "The app did not identify itself correctly (missing client_id).")
		return
	}
	client, err := s.clientByID(ctx, clientID)
	switch {
	case errors.Is(err, ErrNotFound):
		s.localErrorPage(w, r, http.StatusBadRequest, "This app is not registered with taskbridge, or its registration has expired. Try connecting it again from the app.")
		return
	case errors.Is(err, errClientUnavailable):
		s.localErrorPage(w, r, http.StatusBadRequest, "The app's published description could not be retrieved or is not acceptable.")
		return
	case err != nil:
		s.log.ErrorContext(ctx, "load client", "err", err.Error())
		s.localErrorPage(w, r, http.StatusInternalServerError, "Something went wrong on our side. Please try again.")
		return
	}
	redirectURI, ok := MatchRedirectURI(client.RedirectURIs, q.Get("redirect_uri"))
	if !ok || slices.Contains(duplicated, "redirect_uri") {
		s.localErrorPage(w, r, http.StatusBadRequest, "The app asked to send you to an address it did not register. For your safety you were not redirected.")
		return
	}

	state := q.Get("state")
	fail := func(code, desc string) { s.redirectError(w, r, redirectURI, state, code, desc) }
	switch {
	case len(duplicated) > 0:
		fail("invalid_request", "parameters must not be repeated")
		return
	case len(state) > maxStateLength:
		s.redirectError(w, r, redirectURI, "", "invalid_request", "state is too long")
		return
	case q.Get("response_type") == "":
		fail("invalid_request", "response_type is required")
		return
	case q.Get("response_type") != "code":
		fail("unsupported_response_type", "only the authorization code flow is supported")
		return
	case q.Get("code_challenge") == "":
		fail("invalid_request", "code_challenge is required (PKCE)")
		return
	case q.Get("code_challenge_method") != "S256":
		fail("invalid_request", "code_challenge_method must be S256")
		return
	case !validCodeChallenge(q.Get("code_challenge")):
		fail("invalid_request", "code_challenge must be a base64url SHA-256 value")
		return
	case q.Get("request") != "" || q.Get("request_uri") != "":
		fail("request_not_supported", "request objects are not supported")
		return
	}
	resource, ok := s.resolveResource(q.Get("resource"))
	if !ok {
		fail("invalid_target", "resource must be this server's MCP endpoint")
		return
	}
	scopes, perr := requestedScopes(q.Get("scope"), client)
	if perr != nil {
		fail(perr.Code, perr.Description)
		return
	}
	if q.Get("prompt") == "none" {
		fail("consent_required", "this server always asks the user")
		return
	}

	userID, signedIn := s.authn.CurrentUser(r)
	if !signedIn {
		http.Redirect(w, r, s.authn.LoginURL(r.URL.RequestURI()), http.StatusSeeOther)
		return
	}
	req := &authorizeRequest{
		Client: client, RedirectURI: redirectURI, State: state,
		CodeChallenge: q.Get("code_challenge"), Resource: resource, Scopes: scopes,
	}
	handle, err := s.store.createPendingRequest(ctx, userID, req, s.now().UTC())
	if err != nil {
		s.log.ErrorContext(ctx, "store authorization request", "err", err.Error())
		s.localErrorPage(w, r, http.StatusInternalServerError, "Something went wrong on our side. Please try again.")
		return
	}
	s.renderConsent(w, r, req, handle)
}

// requestedScopes parses the scope parameter; none means every resource
// scope (the user can still decline writing on the consent page).
func requestedScopes(param string, client *postgres.OAuthClient) ([]identity.Scope, *protocolError) {
	scopes, err := ParseScope(param)
	if err != nil {
		return nil, errInvalidScope("scope names a scope this server does not have")
	}
	if len(scopes) == 0 {
		scopes = identity.ResourceScopes()
	}
	if !hasResourceScope(scopes) {
		return nil, errInvalidScope(askForAResourceScope())
	}
	if len(client.AllowedScopes) > 0 {
		allowed := scopesFromStrings(client.AllowedScopes)
		allowed = append(allowed, identity.ScopeOfflineAccess)
		if !subsetOf(scopes, allowed) {
			return nil, errInvalidScope("scope exceeds what this client registered")
		}
	}
	return scopes, nil
}

// validCodeChallenge: S256 challenges are 43 base64url characters.
func validCodeChallenge(c string) bool {
	if len(c) != 43 {
		return false
	}
	for _, r := range c {
		if !isBase64URL(r) {
			return false
		}
	}
	return true
}

func isBase64URL(r rune) bool {
	return (r >= 'A' && r <= 'Z') || (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') || r == '-' || r == '_'
}

// singleValued flattens query parameters and lists the repeated ones
// (OAuth 2.1: parameters must not be repeated). Empty values count as
// absent (RFC 6749 §3.1).
func singleValued(in url.Values) (url.Values, []string) {
	out := url.Values{}
	var dup []string
	for k, vs := range in {
		var nonEmpty []string
		for _, v := range vs {
			if v != "" {
				nonEmpty = append(nonEmpty, v)
			}
		}
		if len(nonEmpty) > 1 {
			dup = append(dup, k)
		}
		if len(nonEmpty) > 0 {
			out.Set(k, nonEmpty[0])
		}
	}
	slices.Sort(dup)
	return out, dup
}

// redirectError sends an error to a validated redirect URI with state and
// iss (RFC 9207), so a client can tell which server answered.
func (s *Server) redirectError(w http.ResponseWriter, r *http.Request, redirectURI, state, code, desc string) {
	p := url.Values{"error": {code}, "error_description": {desc}, "iss": {s.cfg.Issuer()}}
	if state != "" {
		p.Set("state", state)
	}
	http.Redirect(w, r, appendQuery(redirectURI, p), http.StatusSeeOther)
}

// redirectCode sends the authorization code with state and iss.
func (s *Server) redirectCode(w http.ResponseWriter, r *http.Request, redirectURI, state, code string) {
	p := url.Values{"code": {code}, "iss": {s.cfg.Issuer()}}
	if state != "" {
		p.Set("state", state)
	}
	http.Redirect(w, r, appendQuery(redirectURI, p), http.StatusSeeOther)
}

// splitRedirectForDisplay cuts a redirect URI into scheme, host and the
// rest, so the consent page can make the host stand out.
func splitRedirectForDisplay(uri string) (scheme, host, rest string) {
	u, err := url.Parse(uri)
	if err != nil {
		return "", uri, ""
	}
	scheme = u.Scheme + "://"
	host = u.Host
	rest = strings.TrimPrefix(uri, scheme+host)
	return scheme, host, rest
}
