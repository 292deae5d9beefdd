package oauth

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/taskbridge/taskbridge/internal/audit"
	"github.com/taskbridge/taskbridge/internal/logging"
	"github.com/taskbridge/taskbridge/internal/postgres"
)

const (
	authMethodNone        = "none"
	authMethodSecretPost  = "client_secret_post"
	authMethodSecretBasic = "client_secret_basic"

	grantAuthorizationCode = "authorization_code"
	grantRefreshToken      = "refresh_token"

	maxClientNameRunes  = 100
	maxRegistrationBody = 32 << 10
)

// registrationRequest is the part of RFC 7591 client metadata this server
// reads. Pointers tell "absent" from "empty". Other members (logo_uri,
// client_uri, contacts, ...) are ignored and not echoed: a name and
// redirect URIs are all the consent page shows, and unverified URLs are a
// phishing aid (RFC 7591 §5).
type registrationRequest struct {
	RedirectURIs            []string        `json:"redirect_uris"`
	TokenEndpointAuthMethod *string         `json:"token_endpoint_auth_method"`
	GrantTypes              []string        `json:"grant_types"`
	ResponseTypes           []string        `json:"response_types"`
	ClientName              *string         `json:"client_name"`
	Scope                   *string         `json:"scope"`
	ApplicationType         *string         `json:"application_type"`
	JWKS                    json.RawMessage `json:"jwks"`
	JWKSURI                 *string         `json:"jwks_uri"`
}

// registrationResponse is RFC 7591 §3.2.1's answer, with what was stored.
type registrationResponse struct {
	ClientID                string   `json:"client_id"`
	ClientSecret            string   `json:"client_secret,omitempty"`
	ClientIDIssuedAt        int64    `json:"client_id_issued_at"`
	ClientSecretExpiresAt   *int64   `json:"client_secret_expires_at,omitempty"`
	RedirectURIs            []string `json:"redirect_uris"`
	TokenEndpointAuthMethod string   `json:"token_endpoint_auth_method"`
	GrantTypes              []string `json:"grant_types"`
	ResponseTypes           []string `json:"response_types"`
	ClientName              string   `json:"client_name,omitempty"`
	Scope                   string   `json:"scope,omitempty"`
	ApplicationType         string   `json:"application_type"`
}

func errClientMetadata(desc string) *protocolError {
	return &protocolError{"invalid_client_metadata", desc, http.StatusBadRequest}
}

func errRedirectURI(err error) *protocolError {
	return &protocolError{"invalid_redirect_uri", err.Error(), http.StatusBadRequest}
}

// Register is the RFC 7591 dynamic client registration endpoint (A2). It is
// open (MCP hosts register themselves), so every field is validated, the
// route is rate-limited per IP, and a registration that never completes a
// grant expires.
func (s *Server) Register(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		writeProtocolError(w, r, errClientMetadata("the request body must be application/json"))
		return
	}
	var req registrationRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxRegistrationBody))
	if err := dec.Decode(&req); err != nil {
		writeProtocolError(w, r, errClientMetadata("the request body is not valid client metadata JSON"))
		return
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		writeProtocolError(w, r, errClientMetadata("the request body must be a single JSON object"))
		return
	}
	client, perr := validateRegistration(&req)
	if perr != nil {
		writeProtocolError(w, r, perr)
		return
	}
	now := s.now().UTC().Truncate(time.Second)
	client.ID = newClientID()
	client.Kind = "dcr"
	client.CreatedAt = now
	var secret string
	if !publicClient(client) {
		var err error
		secret, client.SecretHash, err = newClientSecret()
		if err != nil {
			s.serverError(w, r, "hash client secret", err)
			return
		}
	}
	err := s.store.db.InSystemTx(ctx, func(tx postgres.Querier) error {
		if err := postgres.InsertOAuthClient(ctx, tx, client, now.Add(s.cfg.OAuth.ClientUnusedTTL)); err != nil {
			return err
		}
		return s.audit.Append(ctx, tx, audit.Event{
			Type: "oauth.client.register", Outcome: audit.OutcomeSuccess, ClientID: client.ID,
			RequestID: logging.RequestID(ctx),
			Detail: map[string]any{
				"auth_method": client.AuthMethod, "redirect_uris": len(client.RedirectURIs),
				"grant_types": client.GrantTypes, "application_type": client.ApplicationType,
			},
		})
	})
	if err != nil {
		s.serverError(w, r, "register client", err)
		return
	}
	resp := registrationResponse{
		ClientID: client.ID, ClientIDIssuedAt: now.Unix(), RedirectURIs: client.RedirectURIs,
		TokenEndpointAuthMethod: client.AuthMethod, GrantTypes: client.GrantTypes,
		ResponseTypes: []string{"code"}, ClientName: client.Name,
		Scope: strings.Join(client.AllowedScopes, " "), ApplicationType: client.ApplicationType,
	}
	if secret != "" {
		never := int64(0)
		resp.ClientSecret, resp.ClientSecretExpiresAt = secret, &never
	}
	w.Header().Set("Pragma", "no-cache")
	writeJSON(w, http.StatusCreated, resp)
}

// validateRegistration checks every field (catalogue item 16) and returns the
// client to store, or the RFC 7591 error to send.
func validateRegistration(req *registrationRequest) (*postgres.OAuthClient, *protocolError) {
	c := &postgres.OAuthClient{}
	if len(req.RedirectURIs) == 0 {
		return nil, &protocolError{"invalid_redirect_uri", "redirect_uris is required", http.StatusBadRequest}
	}
	if len(req.RedirectURIs) > maxRedirectURIs {
		return nil, &protocolError{"invalid_redirect_uri", "too many redirect_uris", http.StatusBadRequest}
	}
	for _, u := range req.RedirectURIs {
		if err := ValidateRedirectURI(u); err != nil {
			return nil, errRedirectURI(err)
		}
		if slices.Contains(c.RedirectURIs, u) {
			return nil, &protocolError{"invalid_redirect_uri", "redirect_uris contains a duplicate", http.StatusBadRequest}
		}
		c.RedirectURIs = append(c.RedirectURIs, u)
	}

	// RFC 7591 §2: the default method is client_secret_basic.
	c.AuthMethod = authMethodSecretBasic
	if req.TokenEndpointAuthMethod != nil {
		c.AuthMethod = *req.TokenEndpointAuthMethod
	}
	switch c.AuthMethod {
	case authMethodNone, authMethodSecretPost, authMethodSecretBasic:
	default:
		return nil, errClientMetadata("token_endpoint_auth_method must be none, client_secret_post or client_secret_basic")
	}
	if len(req.JWKS) > 0 || req.JWKSURI != nil {
		return nil, errClientMetadata("jwks and jwks_uri are not supported")
	}

	grants, perr := validateGrantTypes(req.GrantTypes)
	if perr != nil {
		return nil, perr
	}
	c.GrantTypes = grants
	if len(req.ResponseTypes) > 0 && !slices.Equal(req.ResponseTypes, []string{"code"}) {
		return nil, errClientMetadata("response_types must be [\"code\"]")
	}

	if req.ClientName != nil {
		name, ok := cleanClientName(*req.ClientName)
		if !ok {
			return nil, errClientMetadata("client_name must be 1-100 printable characters")
		}
		if strings.EqualFold(name, DirectClientName) {
			// Reserved for the operator's own tooling (NewDirectClient): an
			// app may not present itself under that name.
			return nil, errClientMetadata("client_name is reserved")
		}
		if reason := refusedNameReason(name); reason != "" {
			return nil, errClientMetadata(reason)
		}
		c.Name = name
	}
	if req.Scope != nil && *req.Scope != "" {
		scopes, err := ParseScope(*req.Scope)
		if err != nil || !hasResourceScope(scopes) {
			return nil, errClientMetadata("scope names a scope this server does not have")
		}
		c.AllowedScopes = scopeStrings(scopes)
	}
	if c.AllowedScopes == nil {
		c.AllowedScopes = []string{}
	}

	c.ApplicationType = inferApplicationType(c.RedirectURIs)
	if req.ApplicationType != nil {
		switch *req.ApplicationType {
		case "web", "native":
			c.ApplicationType = *req.ApplicationType
		default:
			return nil, errClientMetadata("application_type must be web or native")
		}
	}
	return c, nil
}

func validateGrantTypes(in []string) ([]string, *protocolError) {
	if len(in) == 0 {
		return []string{grantAuthorizationCode}, nil
	}
	var out []string
	for _, g := range in {
		switch g {
		case grantAuthorizationCode, grantRefreshToken:
			if !slices.Contains(out, g) {
				out = append(out, g)
			}
		default:
			return nil, errClientMetadata("grant_types may contain only authorization_code and refresh_token")
		}
	}
	if !slices.Contains(out, grantAuthorizationCode) {
		return nil, errClientMetadata("grant_types must include authorization_code")
	}
	return out, nil
}

// cleanClientName accepts a display name that cannot spoof the consent page:
// trimmed, 1-100 characters, valid UTF-8, no control, format (bidi override,
// zero-width) or line-breaking characters. It is refused, not repaired, so
// what the client sent is what the user sees.
func cleanClientName(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if s == "" || !utf8.ValidString(s) || utf8.RuneCountInString(s) > maxClientNameRunes {
		return "", false
	}
	for _, r := range s {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == '\u2028' || r == '\u2029' || r == utf8.RuneError {
			return "", false
		}
	}
	return s, true
}

// inferApplicationType: loopback-only redirect URIs are a native app.
func inferApplicationType(uris []string) string {
	for _, u := range uris {
		if _, ok := loopbackWithoutPort(u); !ok && !strings.HasPrefix(u, "http://localhost") {
			return "web"
		}
	}
	return "native"
}
