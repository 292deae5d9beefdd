package postgres

import (
	"context"
	"crypto/sha256"
	"fmt"

	"github.com/google/uuid"
)

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

// EraseUser deletes every row of userID in tx, whose identity is userID
// (D4): tasks, OAuth grants, tokens, codes and pending authorizations,
// sessions, consent records, the failed-login counter keyed by the email,
// the credential and the account. It returns how many rows of each kind
// went (no identifier), or ErrNotFound when the account does not exist.
// The caller appends the audit event in the same tx (L4).
func EraseUser(ctx context.Context, tx Querier, userID uuid.UUID) (map[string]int64, error) {
	var email string
	if err := tx.QueryRow(ctx, `SELECT email FROM users WHERE id = $1 FOR UPDATE`, userID).Scan(&email); err != nil {
		return nil, fmt.Errorf("erase: read account: %w", err)
	}
	report := map[string]int64{}
	for _, t := range erasedByCascade {
		var n int64
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM `+t.table+` WHERE user_id = $1`, userID).Scan(&n); err != nil {
			return nil, fmt.Errorf("erase: count %s: %w", t.kind, err)
		}
		report[t.kind] = n
	}
	for _, t := range erasedExplicitly {
		tag, err := tx.Exec(ctx, `DELETE FROM `+t.table+` WHERE `+t.column+` = $1`, userID)
		if err != nil {
			return nil, fmt.Errorf("erase: delete %s: %w", t.kind, err)
		}
		report[t.kind] = tag.RowsAffected()
	}
	tag, err := tx.Exec(ctx, `DELETE FROM login_throttle WHERE scope = 'account' AND subject = $1`, accountThrottleSubject(email))
	if err != nil {
		return nil, fmt.Errorf("erase: delete login throttle: %w", err)
	}
	report["login_throttle"] = tag.RowsAffected()
	if _, err := tx.Exec(ctx, `DELETE FROM users WHERE id = $1`, userID); err != nil {
		return nil, fmt.Errorf("erase: delete account: %w", err)
	}
	report["account"] = 1
	return report, nil
}

// accountThrottleSubject is login_throttle.subject of an account's
// failed-login counter: SHA-256 of "account", a NUL byte and the normalised
// email (internal/account newSubject). The privacy test
// TestEraseRemovesEveryTraceOfTheUser fails if the two ever differ.
func accountThrottleSubject(email string) []byte {
	sum := sha256.Sum256([]byte("account\x00" + email))
	return sum[:]
}
