package account

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"

	"github.com/taskbridge/taskbridge/internal/identity"
)

// GrantView is one connection of an app as the account page shows it
// (P7); an app connected twice (two ChatGPT workspaces) is two of them.
type GrantView struct {
	ID         uuid.UUID
	ClientName string
	ClientID   string
	Scopes     []identity.Scope
	CreatedAt  time.Time
	LastUsedAt time.Time // zero when never used
}

// ErrGrantNotFound is RevokeGrant's answer for a grant that is not one of
// the user's connected apps: unknown, another user's, or already revoked.
var ErrGrantNotFound = errors.New("connected app not found")

// GrantLister is the source of the "Connected apps" section: the OAuth
// server implements it. Both calls are scoped to userID; RevokeGrant must
// take effect on the client's next request, and answers ErrGrantNotFound
// for a grant that is not the user's active one.
type GrantLister interface {
	ListGrants(ctx context.Context, userID uuid.UUID) ([]GrantView, error)
	RevokeGrant(ctx context.Context, userID, grantID uuid.UUID) error
}

// NoGrants is the GrantLister of a server without OAuth: nothing connected.
type NoGrants struct{}

func (NoGrants) ListGrants(context.Context, uuid.UUID) ([]GrantView, error) { return nil, nil }
func (NoGrants) RevokeGrant(context.Context, uuid.UUID, uuid.UUID) error {
	return ErrGrantNotFound
}

// scopeWords says what a scope lets an app do, in the scope table's
// account-page words.
func scopeWords(s identity.Scope) string {
	if d, ok := identity.LookupScope(s); ok && d.Account != "" {
		return d.Account
	}
	return string(s)
}
