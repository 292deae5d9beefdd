package oauth

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"mime"
	"net/http"
	"net/url"
	"time"

	"github.com/taskbridge/taskbridge/internal/audit"
	"github.com/taskbridge/taskbridge/internal/identity"
	"github.com/taskbridge/taskbridge/internal/logging"
	"github.com/taskbridge/taskbridge/internal/postgres"
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
		s.refused(ctx, endpointToken, "", "", perr)
		writeProtocolError(w, r, perr)
		return
	}
	gt := form.Get("grant_type")
	client, named, err := s.authenticateClient(ctx, r, form)
	if err != nil {
		s.refused(ctx, endpointToken, gt, named, err)
		s.protocolOrServerError(w, r, "authenticate client", err)
		return
	}
	var out *issued
	switch gt {
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
		s.refused(ctx, endpointToken, gt, client.ID, err)
		s.protocolOrServerError(w, r, "token request", err)
		return
	}
	writeJSON(w, http.StatusOK, tokenResponse{
		AccessToken: out.Access, TokenType: "Bearer", RefreshToken: out.Refresh,
		ExpiresIn: int64(out.ExpiresAt.Sub(s.now()).Round(time.Second).Seconds()),
		Scope:     identity.JoinScopes(out.Scopes),
	})
}

// The endpoints whose refusals Server.refused records.
const (
	endpointToken  = "token"
	endpointRevoke = "revoke"
)

// refused audits and counts a request that the token or revocation
// endpoint refused with an OAuth error (L4, L6): a wrong PKCE verifier, a
// bad or missing client secret, an unknown, expired, replayed or revoked
// code or refresh token, a scope or resource it may not have. Server
// failures (5xx) are not refusals and are logged where they happen. The
// event is oauth.<endpoint>.failure with outcome failure; its detail holds
// only enum values (the OAuth error code and the grant type), never the
// code, token, verifier or secret presented; clientID is a registered
// client's id or "" (authenticateClient never passes on an id the
// caller made up). The metric reason is a fixed label, <endpoint>_<code>.
//
// Anyone can send these requests without credentials, so each costs an
// audit row: the per-IP rate limit on /token and /revoke
// (TASKBRIDGE_RATE_TOKEN_PER_MINUTE, server.perIP) bounds how fast one
// address can grow the trail, and retention ages the rows out.
func (s *Server) refused(ctx context.Context, endpoint, grantType, clientID string, err error) {
	pe, ok := err.(*protocolError)
	if !ok {
		return
	}
	code := refusalCode(pe.Code)
	s.metrics.AuthFailure(endpoint + "_" + code)
	detail := map[string]any{"error": code}
	if endpoint == endpointToken {
		detail["grant_type"] = grantTypeLabel(grantType)
	}
	// Written even if the caller hangs up meanwhile, so it cannot cancel
	// the record of its own failure; bounded like a request.
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.RequestTimeout)
	defer cancel()
	if aerr := s.store.db.InSystemTx(actx, func(tx postgres.Querier) error {
		return s.audit.Append(actx, tx, audit.Event{
			Type: "oauth." + endpoint + ".failure", Outcome: audit.OutcomeFailure, ClientID: clientID,
			RequestID: logging.RequestID(ctx), Detail: detail,
		})
	}); aerr != nil {
		s.log.ErrorContext(ctx, "audit refused "+endpoint+" request", "err", aerr.Error())
	}
	s.log.InfoContext(ctx, endpoint+" request refused", "oauth_error", code, "client_id", clientID)
}

// refusalCode keeps the OAuth error codes this server sends and maps
// anything else to "other", so labels and audit details stay a fixed set.
func refusalCode(code string) string {
	switch code {
	case "invalid_request", "invalid_client", "invalid_grant", "unauthorized_client",
		"unsupported_grant_type", "invalid_scope", "invalid_target":
		return code
	}
	return "other"
}

// grantTypeLabel is the grant_type of a token request as an enum value.
func grantTypeLabel(gt string) string {
	switch gt {
	case grantAuthorizationCode, grantRefreshToken:
		return gt
	case "":
		return "none"
	}
	return "other"
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
