package account

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/alexedwards/argon2id"
	"github.com/google/uuid"

	"github.com/taskbridge/taskbridge/internal/audit"
	"github.com/taskbridge/taskbridge/internal/postgres"
)

// ErrEmailTaken means an account with that email already exists.
var ErrEmailTaken = errors.New("an account with this email already exists")

// ErrInvalidEmail means the email is not a plain address.
var ErrInvalidEmail = errors.New("not a valid email address")

// insertUser creates the user row and its credential in tx, whose identity
// must already be id (row-level security checks it).
func insertUser(ctx context.Context, tx postgres.Querier, id uuid.UUID, email, hash string, now time.Time) (User, error) {
	err := postgres.InsertAccountUser(ctx, tx, id, email, now)
	if postgres.IsUniqueViolation(err) {
		return User{}, ErrEmailTaken
	}
	if err != nil {
		return User{}, fmt.Errorf("insert user: %w", err)
	}
	if err := postgres.InsertCredential(ctx, tx, id, hash, now); err != nil {
		return User{}, err
	}
	return User{ID: id, Email: email, CreatedAt: now}, nil
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
	stored, err := postgres.ListAccountUsers(ctx, tx)
	if err != nil {
		return nil, err
	}
	users := make([]User, len(stored))
	for i, u := range stored {
		users[i] = User(u)
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
