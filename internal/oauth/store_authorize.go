package oauth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/taskbridge/taskbridge/internal/audit"
	"github.com/taskbridge/taskbridge/internal/identity"
	"github.com/taskbridge/taskbridge/internal/logging"
	"github.com/taskbridge/taskbridge/internal/postgres"
)

// createPendingRequest stores a validated request for the consent page and
// returns the single-use handle the form carries.
func (st *Store) createPendingRequest(ctx context.Context, userID uuid.UUID, req *authorizeRequest, now time.Time) (string, error) {
	handle, hash := newSecret(prefixConsentHandle)
	_, err := st.db.Pool.Exec(ctx, `INSERT INTO oauth_authorization_requests
			(token_hash, user_id, client_id, redirect_uri, scopes, state, code_challenge, resource, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		hash, userID, req.Client.ID, req.RedirectURI, scopeStrings(req.Scopes), req.State, req.CodeChallenge,
		req.Resource, now, now.Add(pendingRequestTTLMinutes*time.Minute))
	if err != nil {
		return "", fmt.Errorf("insert authorization request: %w", err)
	}
	return handle, nil
}

// takePendingRequest consumes a consent handle: it works once, only for the
// user it was issued to, and only before it expires.
func (st *Store) takePendingRequest(ctx context.Context, userID uuid.UUID, handle string, now time.Time) (*authorizeRequest, error) {
	if handle == "" {
		return nil, ErrNotFound
	}
	var req authorizeRequest
	var clientID string
	var scopes []string
	err := st.db.Pool.QueryRow(ctx, `DELETE FROM oauth_authorization_requests
		WHERE token_hash = $1 AND user_id = $2 AND expires_at > $3
		RETURNING client_id, redirect_uri, scopes, state, code_challenge, resource`,
		hashSecret(handle), userID, now).Scan(&clientID, &req.RedirectURI, &scopes, &req.State, &req.CodeChallenge, &req.Resource)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("take authorization request: %w", err)
	}
	req.Scopes = scopesFromStrings(scopes)
	req.Client, err = scanClient(st.db.Pool.QueryRow(ctx, `SELECT `+clientColumns+` FROM oauth_clients WHERE client_id = $1`, clientID))
	if err != nil {
		return nil, err
	}
	return &req, nil
}

func insertConsentRecord(ctx context.Context, tx postgres.Querier, userID uuid.UUID, grantID *uuid.UUID, c *Client, action string, scopes []string, version string, now time.Time) error {
	_, err := tx.Exec(ctx, `INSERT INTO oauth_consent_records
			(user_id, grant_id, client_id, client_name, action, scopes, consent_version, occurred_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		userID, grantID, c.ID, c.Name, action, scopes, version, now)
	if err != nil {
		return fmt.Errorf("insert consent record: %w", err)
	}
	return nil
}

// connectionGrant records a new connection of clientID by userID and
// returns its grant. Each authorization is a connection with its own grant
// (and the refresh family its code starts is under it), so two connections
// of one client are listed, limited and revoked separately: every ChatGPT
// workspace uses the same metadata-document client_id and redirect URI. A
// grant of the same client with nothing live under it (no unredeemed code,
// no unexpired token of an unrevoked family) is taken over as the new
// connection, so linking again after the tokens lapsed does not pile up
// entries on the account page; one another approval is taking over right
// now is skipped.
func connectionGrant(ctx context.Context, tx postgres.Querier, userID uuid.UUID, clientID string, scopes []string, now time.Time) (uuid.UUID, error) {
	var id uuid.UUID
	err := tx.QueryRow(ctx, `UPDATE oauth_grants SET scopes = $3, consent_version = $4, created_at = $5, updated_at = $5, last_used_at = NULL
		WHERE id = (SELECT g.id FROM oauth_grants g
			WHERE g.user_id = $1 AND g.client_id = $2 AND g.revoked_at IS NULL
			AND NOT EXISTS (SELECT 1 FROM oauth_codes c WHERE c.grant_id = g.id AND c.used_at IS NULL AND c.expires_at > $5)
			AND NOT EXISTS (SELECT 1 FROM oauth_tokens t JOIN oauth_token_families f ON f.id = t.family_id
				WHERE t.grant_id = g.id AND t.revoked_at IS NULL AND t.expires_at > $5 AND f.revoked_at IS NULL AND f.expires_at > $5)
			ORDER BY g.created_at, g.id LIMIT 1 FOR UPDATE SKIP LOCKED)
		RETURNING id`, userID, clientID, scopes, ConsentVersion, now).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		err = tx.QueryRow(ctx, `INSERT INTO oauth_grants (user_id, client_id, scopes, consent_version, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $5) RETURNING id`, userID, clientID, scopes, ConsentVersion, now).Scan(&id)
	}
	if err != nil {
		return uuid.Nil, fmt.Errorf("record grant: %w", err)
	}
	return id, nil
}

// recordDenial keeps the user's "Cancel" as a consent record and audit event.
func (st *Store) recordDenial(ctx context.Context, userID uuid.UUID, req *authorizeRequest, now time.Time) error {
	return st.db.InUserTx(ctx, userID, func(tx postgres.Querier) error {
		if err := insertConsentRecord(ctx, tx, userID, nil, req.Client, "deny", scopeStrings(req.Scopes), ConsentVersion, now); err != nil {
			return err
		}
		return st.audit.Append(ctx, tx, audit.Event{
			Type: "oauth.consent.deny", Outcome: audit.OutcomeDenied, ActorID: userID, ClientID: req.Client.ID,
			RequestID: logging.RequestID(ctx), Detail: map[string]any{"scopes": scopeStrings(req.Scopes)},
		})
	})
}

// approve records the grant of this connection (connectionGrant), keeps
// the consent record, marks the client as used so its registration no
// longer expires, and issues a single-use authorization code bound to
// client, redirect URI, PKCE challenge, resource, scopes and user.
func (st *Store) approve(ctx context.Context, userID uuid.UUID, req *authorizeRequest, granted []identity.Scope, now time.Time, codeTTL time.Duration) (string, error) {
	code, codeHash := newSecret(prefixCode)
	err := st.db.InUserTx(ctx, userID, func(tx postgres.Querier) error {
		grantID, err := connectionGrant(ctx, tx, userID, req.Client.ID, scopeStrings(granted), now)
		if err != nil {
			return err
		}
		if err := insertConsentRecord(ctx, tx, userID, &grantID, req.Client, "grant", scopeStrings(granted), ConsentVersion, now); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE oauth_clients SET expires_at = NULL WHERE client_id = $1 AND expires_at IS NOT NULL`, req.Client.ID); err != nil {
			return fmt.Errorf("keep client: %w", err)
		}
		_, err = tx.Exec(ctx, `INSERT INTO oauth_codes (code_hash, grant_id, user_id, client_id, redirect_uri, code_challenge,
				resource, scopes, created_at, expires_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
			codeHash, grantID, userID, req.Client.ID, req.RedirectURI, req.CodeChallenge, req.Resource,
			scopeStrings(granted), now, now.Add(codeTTL))
		if err != nil {
			return fmt.Errorf("insert code: %w", err)
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
