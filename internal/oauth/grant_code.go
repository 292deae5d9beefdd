package oauth

import (
	"context"
	"errors"
	"net/url"
	"time"

	"github.com/google/uuid"

	"github.com/taskbridge/taskbridge/internal/audit"
	"github.com/taskbridge/taskbridge/internal/logging"
	"github.com/taskbridge/taskbridge/internal/postgres"
)

// redeemCode exchanges an authorization code (catalogue items 4-6). The code row
// is locked, so two concurrent redemptions cannot both succeed. A request
// that fails on client, redirect URI, resource or verifier does not consume
// the code. A second valid redemption is a replay: it fails and revokes
// everything the first one issued (RFC 9700 §4.2.4); a replay with wrong
// parameters only fails, so a stranger holding a code cannot revoke the
// rightful client's tokens.
func (s *Server) redeemCode(ctx context.Context, client *postgres.OAuthClient, form url.Values) (*issued, error) {
	code := form.Get("code")
	if code == "" {
		return nil, errInvalidRequest("code is required")
	}
	if form.Get("code_verifier") == "" {
		return nil, errInvalidRequest("code_verifier is required (PKCE)")
	}
	now := s.now().UTC()
	var out *issued
	var result error
	var revoked bool
	err := s.store.db.InSystemTx(ctx, func(tx postgres.Querier) error {
		c, err := postgres.LockOAuthCode(ctx, tx, hashSecret(code))
		if errors.Is(err, postgres.ErrNotFound) {
			result = errInvalidGrant("the authorization code is invalid")
			return nil
		}
		if err != nil {
			return err
		}
		resource, resourceOK := s.resolveResource(form.Get("resource"))
		switch {
		case c.ClientID != client.ID:
			result = errInvalidGrant("the authorization code was issued to another client")
			return nil
		case form.Get("redirect_uri") != c.RedirectURI:
			result = errInvalidGrant("redirect_uri does not match the authorization request")
			return nil
		case !resourceOK:
			result = errInvalidTarget()
			return nil
		case resource != c.Resource:
			result = errInvalidGrant("resource does not match the authorization request")
			return nil
		case !verifyPKCE(form.Get("code_verifier"), c.CodeChallenge):
			result = errInvalidGrant("code_verifier does not match the code challenge")
			return nil
		case c.UsedAt != nil:
			result = errInvalidGrant("the authorization code was already used")
			revoked = c.FamilyID != nil
			return s.codeReplayed(ctx, tx, c, now)
		case !now.Before(c.ExpiresAt):
			result = errInvalidGrant("the authorization code has expired")
			return nil
		}

		grantScopes, err := activeGrantScopes(ctx, tx, c.UserID, c.GrantID)
		if errors.Is(err, ErrNotFound) {
			result = errInvalidGrant("the authorization was revoked")
			return nil
		}
		if err != nil {
			return err
		}
		scopes := intersectScopes(scopesFromStrings(c.Scopes), grantScopes)
		f := &postgres.OAuthTokenFamily{ID: uuid.New(), GrantID: c.GrantID, UserID: c.UserID, ClientID: client.ID, ExpiresAt: now.Add(s.cfg.OAuth.RefreshTokenTTL)}
		if err := postgres.InsertOAuthTokenFamily(ctx, tx, f, now); err != nil {
			return err
		}
		if err := postgres.MarkOAuthCodeUsed(ctx, tx, c.Hash, now, f.ID); err != nil {
			return err
		}
		out = &issued{Scopes: scopes}
		if out.Access, out.ExpiresAt, err = s.issueAccessToken(ctx, tx, f, scopes, c.Resource, now); err != nil {
			return err
		}
		if issuesRefreshToken(client) {
			if out.Refresh, _, err = s.issueRefreshToken(ctx, tx, f, scopes, c.Resource, now); err != nil {
				return err
			}
		}
		if err := postgres.TouchOAuthGrant(ctx, tx, c.GrantID, now); err != nil {
			return err
		}
		return s.audit.Append(ctx, tx, audit.Event{
			Type: "oauth.token.issue", Outcome: audit.OutcomeSuccess, ActorID: c.UserID, ClientID: client.ID,
			RequestID: logging.RequestID(ctx),
			Detail:    map[string]any{"grant_id": c.GrantID.String(), "family_id": f.ID.String(), "scopes": scopeStrings(scopes), "refresh": out.Refresh != ""},
		})
	})
	if revoked {
		// After the commit, not before: a bearer check that ran before the
		// revocation committed read the tokens as valid and may have cached
		// them (tokencache.go); clearing now drops that entry and every
		// lookup still in flight.
		s.tokens.invalidate()
	}
	if err != nil {
		return nil, err
	}
	if result != nil {
		return nil, result
	}
	return out, nil
}

// codeReplayed revokes the family a reused code issued and audits it (L7).
// The transaction commits, so the revocation sticks although the request
// fails; redeemCode clears the token cache after that commit, so this
// replica refuses the revoked tokens on the next request and the others
// within the cache TTL (tokencache.go).
func (s *Server) codeReplayed(ctx context.Context, tx postgres.Querier, c *postgres.OAuthCode, now time.Time) error {
	detail := map[string]any{"grant_id": c.GrantID.String()}
	if c.FamilyID != nil {
		if err := postgres.RevokeOAuthTokenFamily(ctx, tx, *c.FamilyID, "code_replay", now); err != nil {
			return err
		}
		detail["family_id"] = c.FamilyID.String()
	}
	return s.audit.Append(ctx, tx, audit.Event{
		Type: "oauth.code.replay", Outcome: audit.OutcomeDenied, ActorID: c.UserID, ClientID: c.ClientID,
		RequestID: logging.RequestID(ctx), Detail: detail,
	})
}
