package oauth

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"

	"github.com/taskbridge/taskbridge/internal/audit"
	"github.com/taskbridge/taskbridge/internal/identity"
	"github.com/taskbridge/taskbridge/internal/logging"
	"github.com/taskbridge/taskbridge/internal/postgres"
)

// DirectClientName names the client that IssueDirect registers. Its grants
// show on the user's Connected apps page like any other, and can be
// revoked there.
const DirectClientName = "taskbridge operator tooling"

// DirectToken is what IssueDirect hands out.
type DirectToken struct {
	AccessToken string
	GrantID     uuid.UUID
	ClientID    string
	ExpiresAt   time.Time
}

// NewDirectClient registers a public client for IssueDirect. Operator
// tooling (taskbridge bench) and tests call it once and issue many tokens
// under it. Its redirect URI is a loopback address no browser flow uses.
func (s *Server) NewDirectClient(ctx context.Context) (string, error) {
	now := s.now().UTC()
	c := &postgres.OAuthClient{
		ID: newClientID(), Kind: "dcr", Name: DirectClientName,
		RedirectURIs: []string{"http://127.0.0.1/taskbridge-direct"}, GrantTypes: []string{grantAuthorizationCode},
		AuthMethod: authMethodNone, AllowedScopes: scopeStrings(identity.ResourceScopes()), ApplicationType: "native", CreatedAt: now,
	}
	err := s.store.db.InSystemTx(ctx, func(tx postgres.Querier) error {
		if err := postgres.InsertOAuthClient(ctx, tx, c, now.Add(s.cfg.OAuth.ClientUnusedTTL)); err != nil {
			return err
		}
		return s.audit.Append(ctx, tx, audit.Event{
			Type: "oauth.client.register", Outcome: audit.OutcomeSuccess, ClientID: c.ID, RequestID: logging.RequestID(ctx),
			Detail: map[string]any{"auth_method": c.AuthMethod, "redirect_uris": 1, "via": "direct"},
		})
	})
	if err != nil {
		return "", err
	}
	return c.ID, nil
}

// IssueDirect grants clientID (from NewDirectClient) the scopes on behalf
// of userID and issues an access token, without the browser flow: the same
// rows the authorization-code flow writes (grant, consent record, token
// family, hashed token, audit event "oauth.token.issue" with via=direct),
// so the bearer middleware cannot tell the difference. Only code that
// already holds the database credentials can call it; there is no HTTP
// route to it.
func (s *Server) IssueDirect(ctx context.Context, clientID string, userID uuid.UUID, scopes []identity.Scope) (DirectToken, error) {
	if userID == uuid.Nil || len(scopes) == 0 {
		return DirectToken{}, errors.New("oauth: a direct token needs a user and scopes")
	}
	now := s.now().UTC()
	out := DirectToken{ClientID: clientID}
	err := s.store.db.InUserTx(ctx, userID, func(tx postgres.Querier) error {
		client, err := postgres.OAuthClientByID(ctx, tx, clientID)
		if err != nil {
			return notFound(err)
		}
		if client.Name != DirectClientName {
			return errors.New("oauth: direct tokens are issued only to the direct client")
		}
		// One grant per user under the direct client: every direct token
		// for the user is one connection of the operator's tooling. Its
		// consent version is the one recorded below, as for a new link.
		out.GrantID, err = postgres.UpsertOAuthSingleGrant(ctx, tx, userID, clientID, scopeStrings(scopes), ConsentVersion, now)
		if err != nil {
			return err
		}
		if err := insertConsentRecord(ctx, tx, userID, &out.GrantID, client, "grant", scopeStrings(scopes), now); err != nil {
			return err
		}
		if err := postgres.KeepOAuthClient(ctx, tx, clientID); err != nil {
			return err
		}
		f := &postgres.OAuthTokenFamily{ID: uuid.New(), GrantID: out.GrantID, UserID: userID, ClientID: clientID, ExpiresAt: now.Add(s.cfg.OAuth.RefreshTokenTTL)}
		if err := postgres.InsertOAuthTokenFamily(ctx, tx, f, now); err != nil {
			return err
		}
		if out.AccessToken, out.ExpiresAt, err = s.issueAccessToken(ctx, tx, f, scopes, s.cfg.MCPResourceURL(), now); err != nil {
			return err
		}
		return s.audit.Append(ctx, tx, audit.Event{
			Type: "oauth.token.issue", Outcome: audit.OutcomeSuccess, ActorID: userID, ClientID: clientID,
			RequestID: logging.RequestID(ctx),
			Detail:    map[string]any{"grant_id": out.GrantID.String(), "family_id": f.ID.String(), "scopes": scopeStrings(scopes), "refresh": false, "via": "direct"},
		})
	})
	if err != nil {
		return DirectToken{}, err
	}
	return out, nil
}
