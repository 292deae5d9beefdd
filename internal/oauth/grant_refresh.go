package oauth

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/taskbridge/taskbridge/internal/audit"
	"github.com/taskbridge/taskbridge/internal/identity"
	"github.com/taskbridge/taskbridge/internal/logging"
	"github.com/taskbridge/taskbridge/internal/postgres"
)

// readRefresh reads a refresh token by hash; an unknown one is ErrNotFound.
func readRefresh(ctx context.Context, tx postgres.Querier, hash []byte) (*postgres.OAuthRefreshToken, error) {
	t, err := postgres.ReadOAuthRefreshToken(ctx, tx, hash)
	return t, notFound(err)
}

// refresh rotates a refresh token (catalogue items 11-12). The family row is
// locked first, so concurrent refreshes of one family run one after the
// other and exactly one successor is created. Rules:
//   - the current token: a new access token (scope may narrow, never
//     widen) and a new refresh token with the same scope; the old one is
//     marked rotated;
//   - the token rotated just before, within the grace window, while its
//     successor is still current: the SAME successor again (kept sealed
//     with the keyring for that window only) and a fresh access token, so
//     a client that lost the answer to a refresh is not locked out;
//   - any other reuse: the whole family is revoked and audited (L7).
func (s *Server) refresh(ctx context.Context, client *postgres.OAuthClient, form url.Values) (*issued, error) {
	presented := form.Get("refresh_token")
	if presented == "" {
		return nil, errInvalidRequest("refresh_token is required")
	}
	requested, err := ParseScope(form.Get("scope"))
	if err != nil {
		return nil, errInvalidScope("scope names a scope this server does not have")
	}
	resource, ok := s.resolveResource(form.Get("resource"))
	if !ok {
		return nil, errInvalidTarget()
	}
	hash := hashSecret(presented)
	now := s.now().UTC()
	var out *issued
	var result error
	var revoked bool
	err = s.store.db.InSystemTx(ctx, func(tx postgres.Querier) error {
		familyID, err := postgres.OAuthRefreshTokenFamily(ctx, tx, hash)
		if errors.Is(err, postgres.ErrNotFound) {
			result = errInvalidGrant("the refresh token is invalid")
			return nil
		}
		if err != nil {
			return err
		}
		f, err := lockFamily(ctx, tx, familyID)
		if err != nil {
			return err
		}
		// Read the token again now that the family is locked: a concurrent
		// refresh may have rotated it meanwhile.
		t, err := readRefresh(ctx, tx, hash)
		if err != nil {
			return err
		}
		switch {
		case t.ClientID != client.ID:
			result = errInvalidGrant("the refresh token was issued to another client")
			return nil
		case f.RevokedAt != nil || t.RevokedAt != nil:
			result = errInvalidGrant("the refresh token was revoked")
			return nil
		case !now.Before(f.ExpiresAt):
			result = errInvalidGrant("the refresh token has reached its maximum lifetime; authorize again")
			return nil
		case resource != t.Audience:
			result = errInvalidTarget()
			return nil
		}
		if t.RotatedAt != nil {
			out, revoked, result, err = s.rotatedTokenPresented(ctx, tx, client, f, t, hash, requested, now)
			return err
		}
		if !now.Before(t.ExpiresAt) {
			result = errInvalidGrant("the refresh token has expired")
			return nil
		}
		grantScopes, err := activeGrantScopes(ctx, tx, f.UserID, f.GrantID)
		if errors.Is(err, ErrNotFound) {
			result = errInvalidGrant("the authorization was revoked")
			return nil
		}
		if err != nil {
			return err
		}
		accessScopes, perr := refreshAccessScopes(requested, scopesFromStrings(t.Scopes), grantScopes)
		if perr != nil {
			result = perr
			return nil
		}
		out = &issued{Scopes: accessScopes}
		var successorHash []byte
		// RFC 6749 §6: the new refresh token keeps the scope of the old one.
		if out.Refresh, successorHash, err = s.issueRefreshToken(ctx, tx, f, scopesFromStrings(t.Scopes), t.Audience, now); err != nil {
			return err
		}
		sealed, keyID, err := s.store.keys.Seal([]byte(out.Refresh), hash)
		if err != nil {
			return fmt.Errorf("seal refresh successor: %w", err)
		}
		if err := postgres.RotateOAuthRefreshToken(ctx, tx, hash, now, successorHash, sealed, keyID); err != nil {
			return err
		}
		if out.Access, out.ExpiresAt, err = s.issueAccessToken(ctx, tx, f, accessScopes, t.Audience, now); err != nil {
			return err
		}
		if err := postgres.TouchOAuthGrant(ctx, tx, f.GrantID, now); err != nil {
			return err
		}
		return s.auditRefresh(ctx, tx, client, f, accessScopes, false)
	})
	if revoked {
		// After the commit, not before: a bearer check that ran between a
		// pre-commit invalidation and the commit read the token as still
		// valid and may have cached it (tokencache.go); clearing now drops
		// that entry and every lookup still in flight.
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

// refreshAccessScopes is the scope of the access token a refresh issues:
// the requested scope if any (it may narrow the refresh token's scope,
// never widen it), else the refresh token's, limited to what the grant
// still holds. The same rule applies to a retry within the grace window.
func refreshAccessScopes(requested, tokenScopes, grantScopes []identity.Scope) ([]identity.Scope, *protocolError) {
	scopes := tokenScopes
	if requested != nil {
		if !subsetOf(requested, tokenScopes) {
			return nil, errInvalidScope("a refresh cannot add scopes")
		}
		scopes = requested
	}
	scopes = intersectScopes(scopes, grantScopes)
	if !hasResourceScope(scopes) {
		return nil, errInvalidScope("no task scope remains granted")
	}
	return scopes, nil
}

// auditRefresh records an access token issued by a refresh (L4); grace
// marks a retry answered with the same successor.
func (s *Server) auditRefresh(ctx context.Context, tx postgres.Querier, client *postgres.OAuthClient, f *postgres.OAuthTokenFamily, scopes []identity.Scope, grace bool) error {
	detail := map[string]any{"family_id": f.ID.String(), "scopes": scopeStrings(scopes)}
	if grace {
		detail["grace"] = true
	}
	return s.audit.Append(ctx, tx, audit.Event{
		Type: "oauth.token.refresh", Outcome: audit.OutcomeSuccess, ActorID: f.UserID, ClientID: client.ID,
		RequestID: logging.RequestID(ctx), Detail: detail,
	})
}

// rotatedTokenPresented handles a refresh token that was already rotated:
// the idempotent grace case, or reuse. revoked reports that the family was
// revoked, so the caller clears the token cache once the transaction has
// committed.
func (s *Server) rotatedTokenPresented(ctx context.Context, tx postgres.Querier, client *postgres.OAuthClient, f *postgres.OAuthTokenFamily, t *postgres.OAuthRefreshToken, hash []byte,
	requested []identity.Scope, now time.Time) (out *issued, revoked bool, result, err error) {
	if s.withinGrace(t, now) {
		successor, err := readRefresh(ctx, tx, t.SuccessorHash)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return nil, false, nil, err
		}
		// Only the immediately previous token qualifies: its successor
		// must still be the family's current refresh token.
		if successor != nil && successor.RotatedAt == nil && successor.RevokedAt == nil && now.Before(successor.ExpiresAt) {
			grantScopes, err := activeGrantScopes(ctx, tx, f.UserID, f.GrantID)
			if errors.Is(err, ErrNotFound) {
				return nil, false, errInvalidGrant("the authorization was revoked"), nil
			}
			if err != nil {
				return nil, false, nil, err
			}
			// The retry is answered as the first request was: a requested
			// downscope is honoured and an upscope refused, exactly as in
			// a normal refresh. A refused scope is not reuse.
			scopes, perr := refreshAccessScopes(requested, scopesFromStrings(successor.Scopes), grantScopes)
			if perr != nil {
				return nil, false, perr, nil
			}
			plain, err := s.store.keys.Open(t.SuccessorSealed, *t.SuccessorKeyID, hash)
			if err != nil {
				return nil, false, nil, fmt.Errorf("open refresh successor: %w", err)
			}
			out = &issued{Refresh: string(plain), Scopes: scopes}
			if out.Access, out.ExpiresAt, err = s.issueAccessToken(ctx, tx, f, out.Scopes, successor.Audience, now); err != nil {
				return nil, false, nil, err
			}
			if err := postgres.TouchOAuthGrant(ctx, tx, f.GrantID, now); err != nil {
				return nil, false, nil, err
			}
			if err := s.auditRefresh(ctx, tx, client, f, out.Scopes, true); err != nil {
				return nil, false, nil, err
			}
			return out, false, nil, nil
		}
	}
	if err := postgres.RevokeOAuthTokenFamily(ctx, tx, f.ID, "reuse", now); err != nil {
		return nil, false, nil, err
	}
	err = s.audit.Append(ctx, tx, audit.Event{
		Type: "oauth.refresh.reuse", Outcome: audit.OutcomeDenied, ActorID: f.UserID, ClientID: f.ClientID,
		RequestID: logging.RequestID(ctx),
		Detail:    map[string]any{"family_id": f.ID.String(), "grant_id": f.GrantID.String()},
	})
	if err != nil {
		return nil, false, nil, err
	}
	s.metrics.RefreshTokenReuse()
	s.log.WarnContext(ctx, "refresh token reuse detected; token family revoked", "family_id", f.ID.String())
	return nil, true, errInvalidGrant("the refresh token was already used"), nil
}

func (s *Server) withinGrace(t *postgres.OAuthRefreshToken, now time.Time) bool {
	return s.cfg.OAuth.RefreshGrace > 0 && t.RotatedAt != nil && t.SuccessorSealed != nil && t.SuccessorKeyID != nil &&
		now.Sub(*t.RotatedAt) <= s.cfg.OAuth.RefreshGrace
}
