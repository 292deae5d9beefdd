package account

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/alexedwards/argon2id"
	"github.com/google/uuid"
	"github.com/jackc/pgerrcode"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/taskbridge/taskbridge/internal/audit"
	"github.com/taskbridge/taskbridge/internal/postgres"
)

// ErrEmailTaken means an account with that email already exists.
var ErrEmailTaken = errors.New("an account with this email already exists")

// ErrInvalidEmail means the email is not a plain address.
var ErrInvalidEmail = errors.New("not a valid email address")

// loadSessionUser reads the user of tx's identity and whether they have
// accepted privacy-policy version policyVer, in one statement.
func loadSessionUser(ctx context.Context, tx postgres.Querier, id uuid.UUID, policyVer string) (User, bool, error) {
	if err := postgres.SetUser(ctx, tx, id); err != nil {
		return User{}, false, err
	}
	u := User{ID: id}
	var accepted bool
	err := tx.QueryRow(ctx, `
		SELECT u.email, u.created_at, EXISTS (
			SELECT 1 FROM consents c WHERE c.user_id = u.id AND c.document = 'privacy_policy' AND c.version = $2)
		FROM users u WHERE u.id = $1`, id, policyVer).Scan(&u.Email, &u.CreatedAt, &accepted)
	if err != nil {
		return User{}, false, fmt.Errorf("load user: %w", err)
	}
	return u, accepted, nil
}

// insertUser creates the user row and its credential in tx, whose identity
// must already be id (row-level security checks it).
func insertUser(ctx context.Context, tx postgres.Querier, id uuid.UUID, email, hash string, now time.Time) (User, error) {
	_, err := tx.Exec(ctx, `INSERT INTO users (id, email, created_at, updated_at) VALUES ($1, $2, $3, $3)`, id, email, now)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == pgerrcode.UniqueViolation {
		return User{}, ErrEmailTaken
	}
	if err != nil {
		return User{}, fmt.Errorf("insert user: %w", err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO credentials (user_id, password_hash, updated_at) VALUES ($1, $2, $3)`, id, hash, now); err != nil {
		return User{}, fmt.Errorf("insert credential: %w", err)
	}
	return User{ID: id, Email: email, CreatedAt: now}, nil
}

// recordConsent stores the acceptance of a privacy-policy version (C3).
func recordConsent(ctx context.Context, tx postgres.Querier, userID uuid.UUID, version string, now time.Time) error {
	_, err := tx.Exec(ctx, `INSERT INTO consents (user_id, document, version, accepted_at) VALUES ($1, 'privacy_policy', $2, $3)`,
		userID, version, now)
	if err != nil {
		return fmt.Errorf("record consent: %w", err)
	}
	return nil
}

// CreateUser registers an account for an operator (`taskbridge users
// create`), with the same email and password rules as sign-up, and audits
// it as an admin event. No privacy consent is recorded: the person has not
// seen the policy yet, so their first sign-in asks for it (PolicyConsentPage)
// before any app can be linked (C3).
func CreateUser(ctx context.Context, db *postgres.DB, auditLog postgres.AuditAppender, email, password, requestID string) (User, error) {
	email = NormalizeEmail(email)
	if !ValidEmail(email) {
		return User{}, ErrInvalidEmail
	}
	password = NormalizePassword(password)
	if err := CheckNewPassword(password, email); err != nil {
		return User{}, err
	}
	p := PasswordParams()
	hash, err := argon2id.CreateHash(password, &p)
	if err != nil {
		return User{}, fmt.Errorf("hash password: %w", err)
	}
	id := uuid.New()
	var u User
	err = db.InUserTx(ctx, id, func(tx postgres.Querier) error {
		var err error
		if u, err = insertUser(ctx, tx, id, email, hash, time.Now()); err != nil {
			return err
		}
		return auditLog.Append(ctx, tx, audit.Event{
			Type: "admin.user_create", Outcome: audit.OutcomeSuccess, ActorID: id, RequestID: requestID,
			Detail: map[string]any{"via": "cli"},
		})
	})
	if err != nil {
		return User{}, err
	}
	return u, nil
}

// ListUsers returns every account, oldest first, for `taskbridge users
// list`. Listing everyone is an operator's power, not the server's:
// q must be a connection of the migration owner, whose row-level-security
// policy on users allows reading; the server's runtime role sees no user
// but the one its transaction is acting for. The listing is audited.
func ListUsers(ctx context.Context, tx postgres.Querier, auditLog postgres.AuditAppender, requestID string) ([]User, error) {
	rows, err := tx.Query(ctx, `SELECT id, email, created_at FROM users ORDER BY created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	users, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (User, error) {
		var u User
		err := row.Scan(&u.ID, &u.Email, &u.CreatedAt)
		return u, err
	})
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	err = auditLog.Append(ctx, tx, audit.Event{
		Type: "admin.user_list", Outcome: audit.OutcomeSuccess, RequestID: requestID,
		Detail: map[string]any{"via": "cli", "count": len(users)},
	})
	if err != nil {
		return nil, err
	}
	return users, nil
}
