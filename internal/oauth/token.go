package oauth

import (
	"crypto/sha256"
	"encoding/base64"
	"mime"
	"net/http"
	"net/url"
	"time"

	"github.com/taskbridge/taskbridge/internal/identity"
)

const maxTokenRequestBody = 16 << 10

// tokenResponse is RFC 6749 §5.1's answer.
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	RefreshToken string `json:"refresh_token,omitempty"`
	Scope        string `json:"scope"`
}

// issued is what a grant handler produced.
type issued struct {
	Access    string
	Refresh   string
	Scopes    []identity.Scope
	ExpiresAt time.Time
}

// Token is the token endpoint: authorization_code (with PKCE) and
// refresh_token grants only; every answer is JSON and not cacheable.
func (s *Server) Token(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	form, perr := readForm(w, r, maxTokenRequestBody)
	if perr != nil {
		writeProtocolError(w, r, perr)
		return
	}
	client, err := s.authenticateClient(ctx, r, form)
	if err != nil {
		s.protocolOrServerError(w, r, "authenticate client", err)
		return
	}
	var out *issued
	switch gt := form.Get("grant_type"); gt {
	case grantAuthorizationCode:
		out, err = s.redeemCode(ctx, client, form)
	case grantRefreshToken:
		if !issuesRefreshToken(client) {
			err = &protocolError{"unauthorized_client", "this client did not register the refresh_token grant", http.StatusBadRequest}
			break
		}
		out, err = s.refresh(ctx, client, form)
	case "":
		err = errInvalidRequest("grant_type is required")
	default:
		err = &protocolError{"unsupported_grant_type", "only authorization_code and refresh_token are supported", http.StatusBadRequest}
	}
	if err != nil {
		s.protocolOrServerError(w, r, "token request", err)
		return
	}
	writeJSON(w, http.StatusOK, tokenResponse{
		AccessToken: out.Access, TokenType: "Bearer", RefreshToken: out.Refresh,
		ExpiresIn: int64(out.ExpiresAt.Sub(s.now()).Round(time.Second).Seconds()),
		Scope:     identity.JoinScopes(out.Scopes),
	})
}

// protocolOrServerError sends protocol errors as they are and logs anything
// else before sending a generic server_error.
func (s *Server) protocolOrServerError(w http.ResponseWriter, r *http.Request, what string, err error) {
	if pe, ok := err.(*protocolError); ok {
		if pe.Code == errInvalidClient.Code {
			w.Header().Set("WWW-Authenticate", `Basic realm="taskbridge"`)
		}
		writeProtocolError(w, r, pe)
		return
	}
	s.serverError(w, r, what, err)
}

// readForm reads an application/x-www-form-urlencoded body. Parameters in
// the URL query are ignored (credentials must not travel there), and a
// repeated parameter is refused.
func readForm(w http.ResponseWriter, r *http.Request, limit int64) (url.Values, *protocolError) {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/x-www-form-urlencoded" {
		return nil, errInvalidRequest("the body must be application/x-www-form-urlencoded")
	}
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	if err := r.ParseForm(); err != nil {
		return nil, errInvalidRequest("the body could not be read")
	}
	form, dup := singleValued(r.PostForm)
	if len(dup) > 0 {
		return nil, errInvalidRequest("parameters must not be repeated")
	}
	return form, nil
}

// verifyPKCE checks an RFC 7636 S256 verifier against the stored challenge.
func verifyPKCE(verifier, challenge string) bool {
	if len(verifier) < 43 || len(verifier) > 128 {
		return false
	}
	for _, r := range verifier {
		if !isBase64URL(r) && r != '.' && r != '~' {
			return false
		}
	}
	sum := sha256.Sum256([]byte(verifier))
	return equalString(base64.RawURLEncoding.EncodeToString(sum[:]), challenge)
}
