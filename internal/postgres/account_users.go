package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// AccountUser is a row of users as the account component reads it.
type AccountUser struct {
	ID        uuid.UUID
	Email     string
	CreatedAt time.Time
}

// InsertAccountUser creates the user row in tx, whose identity must already
// be id (row-level security checks it). A taken email is a unique violation
// (IsUniqueViolation).
func InsertAccountUser(ctx context.Context, tx Querier, id uuid.UUID, email string, now time.Time) error {
	_, err := tx.Exec(ctx, `INSERT INTO users (id, email, created_at, updated_at) VALUES ($1, $2, $3, $3)`, id, email, now)
	return err
}

// InsertCredential stores the first password hash of userID.
func InsertCredential(ctx context.Context, tx Querier, userID uuid.UUID, passwordHash string, now time.Time) error {
	if _, err := tx.Exec(ctx, `INSERT INTO credentials (user_id, password_hash, updated_at) VALUES ($1, $2, $3)`, userID, passwordHash, now); err != nil {
		return fmt.Errorf("insert credential: %w", err)
	}
	return nil
}

// UpdateCredential replaces userID's password hash.
func UpdateCredential(ctx context.Context, tx Querier, userID uuid.UUID, passwordHash string, now time.Time) error {
	_, err := tx.Exec(ctx, `UPDATE credentials SET password_hash = $2, updated_at = $3 WHERE user_id = $1`,
		userID, passwordHash, now)
	return err
}

// CredentialHash returns userID's password hash, or ErrNotFound.
func CredentialHash(ctx context.Context, tx Querier, userID uuid.UUID) (string, error) {
	var hash string
	err := tx.QueryRow(ctx, `SELECT password_hash FROM credentials WHERE user_id = $1`, userID).Scan(&hash)
	return hash, err
}

// LookupLogin returns the user id and password hash of the account with
// email, or ErrNotFound. It runs before anyone is signed in, so it goes
// through the SECURITY DEFINER function account_login_lookup (A8).
func LookupLogin(ctx context.Context, tx Querier, email string) (uuid.UUID, string, error) {
	var (
		userID uuid.UUID
		hash   string
	)
	err := tx.QueryRow(ctx, `SELECT user_id, password_hash FROM account_login_lookup($1)`, email).Scan(&userID, &hash)
	return userID, hash, err
}

// SessionUser makes id the identity of tx and reads that user and whether
// they have accepted privacy-policy version policyVer, in one statement.
func SessionUser(ctx context.Context, tx Querier, id uuid.UUID, policyVer string) (AccountUser, bool, error) {
	if err := SetUser(ctx, tx, id); err != nil {
		return AccountUser{}, false, err
	}
	u := AccountUser{ID: id}
	var accepted bool
	err := tx.QueryRow(ctx, `
		SELECT u.email, u.created_at, EXISTS (
			SELECT 1 FROM consents c WHERE c.user_id = u.id AND c.document = 'privacy_policy' AND c.version = $2)
		FROM users u WHERE u.id = $1`, id, policyVer).Scan(&u.Email, &u.CreatedAt, &accepted)
	if err != nil {
		return AccountUser{}, false, fmt.Errorf("load user: %w", err)
	}
	return u, accepted, nil
}

// ListAccountUsers returns every user, oldest first. Only the migration
// owner's row-level-security policy on users shows them all; the runtime
// role sees at most its transaction's user.
func ListAccountUsers(ctx context.Context, tx Querier) ([]AccountUser, error) {
	rows, err := tx.Query(ctx, `SELECT id, email, created_at FROM users ORDER BY created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	users, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (AccountUser, error) {
		var u AccountUser
		err := row.Scan(&u.ID, &u.Email, &u.CreatedAt)
		return u, err
	})
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return users, nil
}

// RecordPolicyConsent stores userID's acceptance of a privacy-policy
// version (C3).
func RecordPolicyConsent(ctx context.Context, tx Querier, userID uuid.UUID, version string, now time.Time) error {
	_, err := tx.Exec(ctx, `INSERT INTO consents (user_id, document, version, accepted_at) VALUES ($1, 'privacy_policy', $2, $3)`,
		userID, version, now)
	if err != nil {
		return fmt.Errorf("record consent: %w", err)
	}
	return nil
}

// HasPolicyConsent reports whether userID accepted privacy-policy version
// in tx (whose identity is userID).
func HasPolicyConsent(ctx context.Context, tx Querier, userID uuid.UUID, version string) (bool, error) {
	var ok bool
	err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM consents WHERE user_id = $1 AND document = 'privacy_policy' AND version = $2)`,
		userID, version).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("read privacy consent: %w", err)
	}
	return ok, nil
}
