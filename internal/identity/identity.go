// Package identity is who is calling: the authenticated principal that the
// OAuth layer puts in the request context and every other layer reads. It
// is the only way a user id reaches a tool: never from tool arguments. It
// also holds the scope table (scopes.go), what each scope means to every
// layer that names one.
package identity

import (
	"context"
	"slices"

	"github.com/google/uuid"
)

// Principal is an authenticated caller: a user acting through a client with
// the scopes that user granted.
type Principal struct {
	UserID   uuid.UUID
	ClientID string
	GrantID  uuid.UUID
	Scopes   []Scope
	// AccountLabelConsented: the consent this connection's grant was given
	// under named the account's shortened email, so the profile tool may
	// return it (P4). False for connections linked under an older wording.
	AccountLabelConsented bool
}

// Has reports whether the principal was granted s.
func (p Principal) Has(s Scope) bool { return slices.Contains(p.Scopes, s) }

// AppKey names the principal's connection, for per-connection limits:
// the grant (one authorization of one client by one user, stable across
// token refreshes; two ChatGPT workspaces of one user are two grants), or
// user and client for an authenticator without grants. It never leaves
// the process.
func (p Principal) AppKey() string {
	if p.GrantID != uuid.Nil {
		return "grant:" + p.GrantID.String()
	}
	return "user:" + p.UserID.String() + " " + p.ClientID
}

// ScopeString is the space-separated form used on the wire.
func (p Principal) ScopeString() string { return JoinScopes(p.Scopes) }

type principalKey struct{}

// WithPrincipal returns a context carrying p.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// FromContext returns the principal, if the request was authenticated.
func FromContext(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok && p.UserID != uuid.Nil
}
