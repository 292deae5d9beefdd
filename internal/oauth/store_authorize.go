package oauth

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/taskbridge/taskbridge/internal/audit"
	"github.com/taskbridge/taskbridge/internal/identity"
	"github.com/taskbridge/taskbridge/internal/logging"
	"github.com/taskbridge/taskbridge/internal/postgres"
)

// createPendingRequest stores a validated request for the consent page and
// returns the single-use handle the form carries.
func (st *Store) createPendingRequest(ctx context.Context, userID uuid.UUID, req *authorizeRequest, now time.Time) (string, error) {
	handle, hash := newSecret(prefixConsentHandle)
	err := st.db.InsertOAuthPendingRequest(ctx, &postgres.OAuthPendingRequest{
		HandleHash: hash, UserID: userID, ClientID: req.Client.ID, RedirectURI: req.RedirectURI,
		Scopes: scopeStrings(req.Scopes), State: req.State, CodeChallenge: req.CodeChallenge,
		Resource: req.Resource, CreatedAt: now, ExpiresAt: now.Add(pendingRequestTTLMinutes * time.Minute),
	})
	if err != nil {
		return "", err
	}
	return handle, nil
}

// takePendingRequest consumes a consent handle: it works once, only for the
// user it was issued to, and only before it expires.
func (st *Store) takePendingRequest(ctx context.Context, userID uuid.UUID, handle string, now time.Time) (*authorizeRequest, error) {
	if handle == "" {
		return nil, ErrNotFound
	}
	pending, client, err := st.db.TakeOAuthPendingRequest(ctx, userID, hashSecret(handle), now)
	if err != nil {
		return nil, notFound(err)
	}
	return &authorizeRequest{
		Client: client, RedirectURI: pending.RedirectURI, State: pending.State,
		CodeChallenge: pending.CodeChallenge, Resource: pending.Resource, Scopes: scopesFromStrings(pending.Scopes),
	}, nil
}

// insertConsentRecord keeps a consent decision of userID about c as
// evidence, under the current consent version.
func insertConsentRecord(ctx context.Context, tx postgres.Querier, userID uuid.UUID, grantID *uuid.UUID, c *postgres.OAuthClient, action string, scopes []string, now time.Time) error {
	return postgres.InsertOAuthConsentRecord(ctx, tx, &postgres.OAuthConsentRecord{
		UserID: userID, GrantID: grantID, ClientID: c.ID, ClientName: c.Name, Action: action,
		Scopes: scopes, ConsentVersion: ConsentVersion, OccurredAt: now,
	})
}

// recordDenial keeps the user's "Cancel" as a consent record and audit event.
func (st *Store) recordDenial(ctx context.Context, userID uuid.UUID, req *authorizeRequest, now time.Time) error {
	return st.db.InUserTx(ctx, userID, func(tx postgres.Querier) error {
		if err := insertConsentRecord(ctx, tx, userID, nil, req.Client, "deny", scopeStrings(req.Scopes), now); err != nil {
			return err
		}
		return st.audit.Append(ctx, tx, audit.Event{
			Type: "oauth.consent.deny", Outcome: audit.OutcomeDenied, ActorID: userID, ClientID: req.Client.ID,
			RequestID: logging.RequestID(ctx), Detail: map[string]any{"scopes": scopeStrings(req.Scopes)},
		})
	})
}

// approve records the grant of this connection, keeps the consent record,
// marks the client as used so its registration no longer expires, and
// issues a single-use authorization code bound to client, redirect URI,
// PKCE challenge, resource, scopes and user.
//
// Each authorization is a connection with its own grant (and the refresh
// family its code starts is under it), so two connections of one client
// are listed, limited and revoked separately: every ChatGPT workspace uses
// the same metadata-document client_id and redirect URI. An idle grant of
// the same client is taken over (postgres.RecordOAuthConnectionGrant), so
// linking again after the tokens lapsed does not pile up entries on the
// account page.
func (st *Store) approve(ctx context.Context, userID uuid.UUID, req *authorizeRequest, granted []identity.Scope, now time.Time, codeTTL time.Duration) (string, error) {
	code, codeHash := newSecret(prefixCode)
	err := st.db.InUserTx(ctx, userID, func(tx postgres.Querier) error {
		grantID, err := postgres.RecordOAuthConnectionGrant(ctx, tx, userID, req.Client.ID, scopeStrings(granted), ConsentVersion, now)
		if err != nil {
			return err
		}
		if err := insertConsentRecord(ctx, tx, userID, &grantID, req.Client, "grant", scopeStrings(granted), now); err != nil {
			return err
		}
		if err := postgres.KeepOAuthClient(ctx, tx, req.Client.ID); err != nil {
			return err
		}
		err = postgres.InsertOAuthCode(ctx, tx, &postgres.OAuthCode{
			Hash: codeHash, GrantID: grantID, UserID: userID, ClientID: req.Client.ID, RedirectURI: req.RedirectURI,
			CodeChallenge: req.CodeChallenge, Resource: req.Resource, Scopes: scopeStrings(granted),
			CreatedAt: now, ExpiresAt: now.Add(codeTTL),
		})
		if err != nil {
			return err
		}
		return st.audit.Append(ctx, tx, audit.Event{
			Type: "oauth.consent.grant", Outcome: audit.OutcomeSuccess, ActorID: userID, ClientID: req.Client.ID,
			RequestID: logging.RequestID(ctx),
			Detail:    map[string]any{"grant_id": grantID.String(), "scopes": scopeStrings(granted), "requested": scopeStrings(req.Scopes), "consent_version": ConsentVersion},
		})
	})
	if err != nil {
		return "", err
	}
	return code, nil
}
