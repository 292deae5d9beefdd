package privacy

import (
	"context"
	"errors"

	"github.com/google/uuid"

	"github.com/taskbridge/taskbridge/internal/audit"
	"github.com/taskbridge/taskbridge/internal/logging"
	"github.com/taskbridge/taskbridge/internal/postgres"
)

// ErrNoAccount is returned for a user that does not exist (any more).
var ErrNoAccount = errors.New("no such account")

// Erasure counts what an erasure removed, per kind; it holds no identifier.
type Erasure map[string]int64

// EraseAccount deletes everything of userID in one transaction (D4): tasks,
// OAuth grants, tokens, codes and pending authorizations, sessions, consent
// records, the failed-login counter keyed by the email, the credential and
// the account. Tokens are gone with their rows, so the next request with
// any of them gets 401. The audit trail stays: it stores the actor only as
// a keyed pseudonym, which nothing links to a person once the account row
// is gone (see the audit package). via says where the request came from
// (account_page, cli) for the audit record.
func (s *Service) EraseAccount(ctx context.Context, userID uuid.UUID, via string) (Erasure, error) {
	var report Erasure
	err := s.db.InUserTx(ctx, userID, func(tx postgres.Querier) error {
		removed, err := postgres.EraseUser(ctx, tx, userID)
		if errors.Is(err, postgres.ErrNotFound) {
			return ErrNoAccount
		}
		if err != nil {
			return err
		}
		report = removed
		detail := map[string]any{"via": via}
		for k, v := range report {
			detail[k] = v
		}
		return s.audit.Append(ctx, tx, audit.Event{
			Type: eventErase, Outcome: audit.OutcomeSuccess, ActorID: userID,
			RequestID: logging.RequestID(ctx), Detail: detail,
		})
	})
	if err != nil {
		return nil, err
	}
	if s.tokens != nil {
		s.tokens.ForgetVerifiedTokens()
	}
	return report, nil
}
