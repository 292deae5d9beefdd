package oauth

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/auth"

	"github.com/taskbridge/taskbridge/internal/config"
	"github.com/taskbridge/taskbridge/internal/httpx"
	"github.com/taskbridge/taskbridge/internal/identity"
	"github.com/taskbridge/taskbridge/internal/postgres"
)

// Why a presented token was refused: for logs and metrics only, never sent.
const (
	failMalformed = "malformed"
	failUnknown   = "unknown"
	failExpired   = "expired"
	failRevoked   = "revoked"
	failAudience  = "audience"
	failWrongKind = "wrong_kind"
)

var errTokenRefused = errors.New("token refused")

type verifiedKey struct{}
type challengeKey struct{}

// RequireBearer guards the MCP endpoint (A4, A9). It reads the access token
// from the Authorization header only (a token in the query string is
// refused), looks up its hash, and checks expiry, revocation of the token,
// its family and its grant, that the user still exists, and that the
// audience is this server's MCP URL. The principal goes into the request
// context for the MCP layer, and the go-sdk's auth.RequireBearerToken runs
// inside with a verifier that returns the already-verified info, so tool
// handlers get req.Extra.TokenInfo. This middleware writes every 401 itself
// (RFC 6750 error codes; the SDK's would echo verifier errors and omit
// error=). Effective scopes are the token's scopes that the grant still
// holds, so narrowing a grant takes effect on the next request; whether
// the account label may be shown follows the grant's consent version.
func (s *Server) RequireBearer(next http.Handler) http.Handler {
	opts := &auth.RequireBearerTokenOptions{ResourceMetadataURL: s.resourceMetadataURL()}
	inner := auth.RequireBearerToken(func(ctx context.Context, _ string, _ *http.Request) (*auth.TokenInfo, error) {
		if info, ok := ctx.Value(verifiedKey{}).(*auth.TokenInfo); ok {
			return info, nil
		}
		return nil, auth.ErrInvalidToken
	}, opts)(next)

	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := context.WithValue(r.Context(), challengeKey{}, s.resourceMetadataURL())
		r = r.WithContext(ctx)
		if r.URL.Query().Has("access_token") {
			s.bearerFailure(ctx, failMalformed)
			s.writeChallenge(w, r, http.StatusBadRequest, "invalid_request", "send the access token in the Authorization header only")
			return
		}
		token, present := bearerToken(r)
		if !present {
			s.writeChallenge(w, r, http.StatusUnauthorized, "", "")
			return
		}
		p, info, reason, err := s.verifyCached(ctx, token)
		if err != nil {
			if reason == "" && (postgres.IsUnavailable(err) || postgres.DeadlinePassed(ctx, err)) {
				// The database is down or saturated: say so, so the
				// client retries instead of treating it as a bug (I8).
				s.log.WarnContext(ctx, "verify access token: database unavailable", "err", err.Error())
				w.Header().Set("Retry-After", "1")
				httpx.WriteError(w, r, http.StatusServiceUnavailable, "temporarily_unavailable", "the server cannot check the access token right now; retry shortly")
				return
			}
			if reason == "" {
				s.log.ErrorContext(ctx, "verify access token", "err", err.Error())
				httpx.WriteError(w, r, http.StatusInternalServerError, "server_error", "the server could not check the access token")
				return
			}
			s.bearerFailure(ctx, reason)
			s.writeChallenge(w, r, http.StatusUnauthorized, "invalid_token", "the access token is invalid, expired or revoked")
			return
		}
		ctx = identity.WithPrincipal(ctx, p)
		ctx = context.WithValue(ctx, verifiedKey{}, info)
		inner.ServeHTTP(w, r.WithContext(ctx))
	})
}

// bearerToken extracts "Authorization: Bearer <token>". present is false
// when there is no bearer credential at all (a bare 401 challenge follows).
func bearerToken(r *http.Request) (string, bool) {
	values := r.Header.Values("Authorization")
	if len(values) == 0 {
		return "", false
	}
	scheme, token, found := strings.Cut(values[0], " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	if len(values) > 1 || !found {
		return "", true // malformed: verified below as unknown
	}
	return strings.TrimSpace(token), true
}

// NeedsTokenLookup reports whether authenticating r takes a database
// lookup: r carries a well-formed access token that this replica has not
// verified within the cache TTL. A request without a token, with a token
// in the query or with a malformed one is refused, and a recently verified
// token accepted, from memory. The /mcp per-IP limit on refused requests
// (internal/server) uses it to bound lookups, not requests.
func (s *Server) NeedsTokenLookup(r *http.Request) bool {
	if r.URL.Query().Has("access_token") {
		return false
	}
	token, present := bearerToken(r)
	if !present || !wellFormedSecret(token, prefixAccessToken) {
		return false
	}
	_, _, cached := s.tokens.get(sha256.Sum256([]byte(token)), s.now())
	return !cached
}

// verifyCached answers from the token cache (tokencache.go) when it can and
// otherwise verifies against the database and caches a success. A token
// is looked up by one request at a time: a burst of requests with a token
// this replica has not verified yet holds one pooled connection, not one
// each, and the requests after the first find it cached (I8).
func (s *Server) verifyCached(ctx context.Context, token string) (identity.Principal, *auth.TokenInfo, string, error) {
	key := sha256.Sum256([]byte(token))
	if p, info, ok := s.tokens.get(key, s.now()); ok {
		return p, info, "", nil
	}
	release, ok := s.lookups.Acquire(ctx, string(key[:]))
	if !ok {
		return identity.Principal{}, nil, "", fmt.Errorf("wait for another lookup of the same token: %w", ctx.Err())
	}
	defer release()
	if p, info, ok := s.tokens.get(key, s.now()); ok {
		return p, info, "", nil
	}
	gen := s.tokens.generation()
	p, info, reason, err := s.verifyAccessToken(ctx, token)
	if err == nil && reason == "" {
		s.tokens.put(key, gen, p, info, s.now(), info.Expiration)
	}
	return p, info, reason, err
}

// verifyAccessToken returns the principal and go-sdk TokenInfo of a valid
// token; on refusal reason says why (for logs) and err is errTokenRefused.
func (s *Server) verifyAccessToken(ctx context.Context, token string) (identity.Principal, *auth.TokenInfo, string, error) {
	var p identity.Principal
	if !wellFormedSecret(token, prefixAccessToken) {
		return p, nil, failMalformed, errTokenRefused
	}
	now := s.now().UTC()
	var (
		reason string
		info   *auth.TokenInfo
	)
	err := s.store.db.InSystemTx(ctx, func(tx postgres.Querier) error {
		t, err := postgres.OAuthBearerTokenByHash(ctx, tx, hashSecret(token))
		if errors.Is(err, postgres.ErrNotFound) {
			reason = failUnknown
			return nil
		}
		if err != nil {
			return err
		}
		switch {
		case t.Kind != "access":
			reason = failWrongKind
		case t.RevokedAt != nil || t.FamilyRevokedAt != nil:
			reason = failRevoked
		case !now.Before(t.ExpiresAt) || !now.Before(t.FamilyExpiresAt):
			reason = failExpired
		case t.Audience != s.cfg.MCPResourceURL():
			reason = failAudience
		}
		if reason != "" {
			return nil
		}
		p.UserID, p.ClientID, p.GrantID = t.UserID, t.ClientID, t.GrantID
		grant, err := activeGrant(ctx, tx, p.UserID, p.GrantID)
		if errors.Is(err, ErrNotFound) {
			reason = failRevoked
			return nil
		}
		if err != nil {
			return err
		}
		if grant.LastUsedAt == nil || now.Sub(*grant.LastUsedAt) >= time.Minute {
			if err := postgres.TouchOAuthGrant(ctx, tx, p.GrantID, now); err != nil {
				return err
			}
		}
		p.Scopes = intersectScopes(scopesFromStrings(t.Scopes), scopesFromStrings(grant.Scopes))
		p.AccountLabelConsented = consentCovers(grant.ConsentVersion, accountLabelConsent)
		info = &auth.TokenInfo{
			Scopes: scopeStrings(p.Scopes), Expiration: t.ExpiresAt, UserID: p.UserID.String(),
			Extra: map[string]any{"client_id": p.ClientID, "grant_id": p.GrantID.String()},
		}
		return nil
	})
	if err != nil {
		return identity.Principal{}, nil, "", err
	}
	if reason != "" {
		return identity.Principal{}, nil, reason, errTokenRefused
	}
	return p, info, "", nil
}

// writeChallenge writes a 401/400 with an RFC 6750 challenge pointing at
// the protected resource metadata. Without a token there is no error code.
func (s *Server) writeChallenge(w http.ResponseWriter, r *http.Request, status int, code, desc string) {
	params := []string{
		fmt.Sprintf(`resource_metadata=%q`, s.resourceMetadataURL()),
		fmt.Sprintf(`scope=%q`, identity.JoinScopes(identity.ResourceScopes())),
	}
	if code != "" {
		params = append(params, fmt.Sprintf(`error=%q`, code), fmt.Sprintf(`error_description=%q`, desc))
	}
	w.Header().Set("WWW-Authenticate", "Bearer "+strings.Join(params, ", "))
	if code == "" {
		code, desc = "unauthorized", "an access token is required"
	}
	httpx.WriteError(w, r, status, code, desc)
}

// ChallengeHeader is the WWW-Authenticate value for a tool call that lacks
// scopes: the MCP layer puts it in _meta["mcp/www_authenticate"] of the
// tool error so ChatGPT can ask the user to grant more (apps-sdk §2 item 8).
// It lists every scope the operation needs, in one challenge.
func ChallengeHeader(cfg *config.Config, needed []identity.Scope, description string) string {
	return insufficientScopeChallenge(ResourceMetadataURL(cfg), needed, description)
}

func insufficientScopeChallenge(metadataURL string, needed []identity.Scope, description string) string {
	params := []string{}
	if metadataURL != "" {
		params = append(params, fmt.Sprintf(`resource_metadata=%s`, quote(metadataURL)))
	}
	params = append(params,
		fmt.Sprintf(`scope=%s`, quote(identity.JoinScopes(needed))),
		`error="insufficient_scope"`,
		fmt.Sprintf(`error_description=%s`, quote(description)))
	return "Bearer " + strings.Join(params, ", ")
}

// quote renders an RFC 9110 quoted-string, dropping control characters.
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// InsufficientScope writes a 403 insufficient_scope challenge listing the
// scopes needed (RFC 6750 §3.1), for use behind RequireBearer.
func InsufficientScope(w http.ResponseWriter, r *http.Request, needed []identity.Scope) {
	metadataURL, _ := r.Context().Value(challengeKey{}).(string)
	desc := "this operation needs the scope " + identity.JoinScopes(needed)
	w.Header().Set("WWW-Authenticate", insufficientScopeChallenge(metadataURL, needed, desc))
	httpx.WriteError(w, r, http.StatusForbidden, "insufficient_scope", desc)
}

// bearerFailure counts a refused token by reason and logs it. Refusals are
// not written to the audit trail one row per request: anyone can send
// garbage tokens to /mcp, whose limits are sized for tool traffic, and an
// audit row each would let them grow the trail at will. The
// security-relevant token events (reuse, replay, revocation) are audited
// where they happen, and so are refusals at the token and revocation
// endpoints, whose per-IP limit is tight (Server.refused); this count feeds
// metrics (L6).
func (s *Server) bearerFailure(ctx context.Context, reason string) {
	s.failures.add(reason)
	s.metrics.AuthFailure(reason)
	s.log.InfoContext(ctx, "bearer token refused", "reason", reason)
}

// BearerFailures returns how many tokens were refused, by reason, since
// start (for the metrics exporter).
func (s *Server) BearerFailures() map[string]uint64 { return s.failures.snapshot() }
