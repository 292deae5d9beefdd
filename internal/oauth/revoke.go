package oauth

import (
	"errors"
	"net/http"

	"github.com/taskbridge/taskbridge/internal/audit"
	"github.com/taskbridge/taskbridge/internal/logging"
	"github.com/taskbridge/taskbridge/internal/postgres"
)

// Revoke is the RFC 7009 revocation endpoint. Revoking a refresh token
// revokes its grant (the app is disconnected, as on the account page);
// revoking an access token ends that token. A token that is unknown, or
// belongs to another client, gets the same 200 and is left alone, so the
// endpoint reveals nothing and one client cannot revoke another's tokens.
func (s *Server) Revoke(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	w.Header().Set("Cache-Control", "no-store")
	form, perr := readForm(w, r, maxTokenRequestBody)
	if perr != nil {
		s.refused(ctx, endpointRevoke, "", "", perr)
		writeProtocolError(w, r, perr)
		return
	}
	client, named, err := s.authenticateClient(ctx, r, form)
	if err != nil {
		s.refused(ctx, endpointRevoke, "", named, err)
		s.protocolOrServerError(w, r, "authenticate client", err)
		return
	}
	token := form.Get("token")
	if token == "" {
		perr := errInvalidRequest("token is required")
		s.refused(ctx, endpointRevoke, "", client.ID, perr)
		writeProtocolError(w, r, perr)
		return
	}
	now := s.now().UTC()
	err = s.store.db.InSystemTx(ctx, func(tx postgres.Querier) error {
		owner, err := postgres.OAuthTokenOwnerByHash(ctx, tx, hashSecret(token))
		if errors.Is(err, postgres.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if owner.ClientID != client.ID {
			return nil
		}
		kind, userID, grantID := owner.Kind, owner.UserID, owner.GrantID
		if kind == "access" {
			if err := postgres.RevokeOAuthToken(ctx, tx, hashSecret(token), now); err != nil {
				return err
			}
			return s.audit.Append(ctx, tx, audit.Event{
				Type: "oauth.token.revoke", Outcome: audit.OutcomeSuccess, ActorID: userID, ClientID: client.ID,
				RequestID: logging.RequestID(ctx), Detail: map[string]any{"kind": kind},
			})
		}
		if err := postgres.SetUser(ctx, tx, userID); err != nil {
			return err
		}
		if err := s.revokeGrant(ctx, tx, userID, grantID, "rfc7009", now); err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
		return nil
	})
	s.tokens.invalidate() // this replica honours the revocation at once
	if err != nil {
		s.serverError(w, r, "revoke token", err)
		return
	}
	w.WriteHeader(http.StatusOK)
}
