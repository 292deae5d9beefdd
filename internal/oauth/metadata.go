package oauth

import (
	"net/http"

	"github.com/taskbridge/taskbridge/internal/identity"
)

// authServerMetadata is RFC 8414's document. It is this package's own type
// because oauthex.AuthServerMeta marshals an empty jwks_uri, which strict
// clients reject.
type authServerMetadata struct {
	Issuer                                   string   `json:"issuer"`
	AuthorizationEndpoint                    string   `json:"authorization_endpoint"`
	TokenEndpoint                            string   `json:"token_endpoint"`
	RegistrationEndpoint                     string   `json:"registration_endpoint"`
	RevocationEndpoint                       string   `json:"revocation_endpoint"`
	ScopesSupported                          []string `json:"scopes_supported"`
	ResponseTypesSupported                   []string `json:"response_types_supported"`
	ResponseModesSupported                   []string `json:"response_modes_supported"`
	GrantTypesSupported                      []string `json:"grant_types_supported"`
	TokenEndpointAuthMethodsSupported        []string `json:"token_endpoint_auth_methods_supported"`
	RevocationEndpointAuthMethodsSupported   []string `json:"revocation_endpoint_auth_methods_supported"`
	CodeChallengeMethodsSupported            []string `json:"code_challenge_methods_supported"`
	AuthorizationResponseIssParameterSupport bool     `json:"authorization_response_iss_parameter_supported"`
	ClientIDMetadataDocumentSupported        bool     `json:"client_id_metadata_document_supported"`
	ServiceDocumentation                     string   `json:"service_documentation"`
	OPPolicyURI                              string   `json:"op_policy_uri"`
}

// protectedResourceMetadata is RFC 9728's document for the MCP endpoint.
type protectedResourceMetadata struct {
	Resource               string   `json:"resource"`
	AuthorizationServers   []string `json:"authorization_servers"`
	ScopesSupported        []string `json:"scopes_supported"`
	BearerMethodsSupported []string `json:"bearer_methods_supported"`
	ResourceName           string   `json:"resource_name"`
	ResourceDocumentation  string   `json:"resource_documentation"`
	ResourcePolicyURI      string   `json:"resource_policy_uri"`
}

var authMethods = []string{authMethodNone, authMethodSecretPost, authMethodSecretBasic}

// AuthServerMetadata serves RFC 8414 metadata, the discovery MCP hosts try
// first. It is not served as OpenID discovery: this server issues no ID
// tokens (README "OpenID Connect"). The issuer is the public URL exactly,
// the string the protected resource metadata names too (RFC 9207 mix-up
// defence depends on it).
func (s *Server) AuthServerMetadata(w http.ResponseWriter, r *http.Request) {
	iss := s.cfg.Issuer()
	w.Header().Set("Cache-Control", "public, max-age=300")
	writeJSON(w, http.StatusOK, authServerMetadata{
		Issuer:                                   iss,
		AuthorizationEndpoint:                    iss + "/authorize",
		TokenEndpoint:                            iss + "/token",
		RegistrationEndpoint:                     iss + "/register",
		RevocationEndpoint:                       iss + "/revoke",
		ScopesSupported:                          scopeStrings(identity.KnownScopes()),
		ResponseTypesSupported:                   []string{"code"},
		ResponseModesSupported:                   []string{"query"},
		GrantTypesSupported:                      []string{grantAuthorizationCode, grantRefreshToken},
		TokenEndpointAuthMethodsSupported:        authMethods,
		RevocationEndpointAuthMethodsSupported:   authMethods,
		CodeChallengeMethodsSupported:            []string{"S256"},
		AuthorizationResponseIssParameterSupport: true,
		ClientIDMetadataDocumentSupported:        true,
		ServiceDocumentation:                     iss + "/privacy",
		OPPolicyURI:                              iss + "/privacy",
	})
}

// ProtectedResourceMetadata serves RFC 9728 metadata at the path-specific
// well-known URL, the one every challenge names. It names the MCP endpoint
// as the resource: hosts such as ChatGPT send it back verbatim as the RFC
// 8707 resource parameter, and the authorization server accepts exactly
// one audience (A9). There is no root document: RFC 9728 §3.3 makes it
// describe the origin, an audience this server does not issue tokens for.
func (s *Server) ProtectedResourceMetadata(w http.ResponseWriter, r *http.Request) {
	iss := s.cfg.Issuer()
	w.Header().Set("Cache-Control", "public, max-age=300")
	writeJSON(w, http.StatusOK, protectedResourceMetadata{
		Resource:               s.cfg.MCPResourceURL(),
		AuthorizationServers:   []string{iss},
		ScopesSupported:        scopeStrings(identity.ResourceScopes()),
		BearerMethodsSupported: []string{"header"},
		ResourceName:           "taskbridge",
		ResourceDocumentation:  iss + "/privacy",
		ResourcePolicyURI:      iss + "/privacy",
	})
}
