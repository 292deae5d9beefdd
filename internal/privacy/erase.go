package privacy

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/taskbridge/taskbridge/internal/audit"
	"github.com/taskbridge/taskbridge/internal/logging"
	"github.com/taskbridge/taskbridge/internal/postgres"
)

// ErrNoAccount is returned for a user that does not exist (any more).
var ErrNoAccount = errors.New("no such account")

// Erasure counts what an erasure removed, per kind; it holds no identifier.
type Erasure map[string]int64

// erasedByCascade are removed with the users row (ON DELETE CASCADE): the
// server's role has no DELETE on them, on purpose -- credentials, privacy
// consents and OAuth consent records are evidence nothing else may remove.
// They are counted first so the audit record says what went.
var erasedByCascade = []struct{ kind, table string }{
	{"credentials", "credentials"},
	{"privacy_consents", "consents"},
	{"consent_records", "oauth_consent_records"},
}

// erasedExplicitly are deleted one by one, dependants first, so the counts
// are exact and nothing relies on a cascade the schema might lose.
var erasedExplicitly = []struct{ kind, table, column string }{
	{"oauth_tokens", "oauth_tokens", "user_id"},
	{"oauth_codes", "oauth_codes", "user_id"},
	{"oauth_token_families", "oauth_token_families", "user_id"},
	{"pending_authorizations", "oauth_authorization_requests", "user_id"},
	{"grants", "oauth_grants", "user_id"},
	{"sessions", "sessions", "user_id"},
	{"tasks", "tasks", "owner_id"},
	{"deletion_requests", "account_deletion_requests", "user_id"},
}

// EraseAccount deletes everything of userID in one transaction (D4): tasks,
// OAuth grants, tokens, codes and pending authorizations, sessions, consent
// records, the failed-login counter keyed by the email, the credential and
// the account. Tokens are gone with their rows, so the next request with
// any of them gets 401. The audit trail stays: it stores the actor only as
// a keyed pseudonym, which nothing links to a person once the account row
// is gone (see the audit package). via says where the request came from
// (account_page, cli) for the audit record.
func (s *Service) EraseAccount(ctx context.Context, userID uuid.UUID, via string) (Erasure, error) {
	report := Erasure{}
	err := s.db.InUserTx(ctx, userID, func(tx postgres.Querier) error {
		var email string
		err := tx.QueryRow(ctx, `SELECT email FROM users WHERE id = $1 FOR UPDATE`, userID).Scan(&email)
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrNoAccount
		}
		if err != nil {
			return fmt.Errorf("erase: read account: %w", err)
		}
		for _, t := range erasedByCascade {
			n, err := scalar(ctx, tx, `SELECT count(*) FROM `+t.table+` WHERE user_id = $1`, userID)
			if err != nil {
				return fmt.Errorf("erase: count %s: %w", t.kind, err)
			}
			report[t.kind] = n
		}
		for _, t := range erasedExplicitly {
			tag, err := tx.Exec(ctx, `DELETE FROM `+t.table+` WHERE `+t.column+` = $1`, userID)
			if err != nil {
				return fmt.Errorf("erase: delete %s: %w", t.kind, err)
			}
			report[t.kind] = tag.RowsAffected()
		}
		tag, err := tx.Exec(ctx, `DELETE FROM login_throttle WHERE scope = 'account' AND subject = $1`, accountThrottleSubject(email))
		if err != nil {
			return fmt.Errorf("erase: delete login throttle: %w", err)
		}
		report["login_throttle"] = tag.RowsAffected()
		if _, err := tx.Exec(ctx, `DELETE FROM users WHERE id = $1`, userID); err != nil {
			return fmt.Errorf("erase: delete account: %w", err)
		}
		report["account"] = 1
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

// accountThrottleSubject is login_throttle.subject of an account's
// failed-login counter: SHA-256 of "account", a NUL byte and the normalised
// email (internal/account newSubject). TestEraseRemovesEveryTraceOfTheUser
// fails if the two ever differ.
func accountThrottleSubject(email string) []byte {
	sum := sha256.Sum256([]byte("account\x00" + email))
	return sum[:]
}
