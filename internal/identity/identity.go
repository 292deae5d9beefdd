// Package identity is who is calling: the authenticated principal that the
// OAuth layer puts in the request context and every other layer reads. It
// is the only way a user id reaches a tool: never from tool arguments.
package identity

import (
	"context"
	"slices"
	"strings"

	"github.com/google/uuid"
)

// Scope is an OAuth scope this server understands (P1).
type Scope string

const (
	ScopeTasksRead  Scope = "tasks.read"
	ScopeTasksWrite Scope = "tasks.write"
	// ScopeOfflineAccess asks for a refresh token.
	ScopeOfflineAccess Scope = "offline_access"
)

// KnownScopes lists every scope in the order a consent page shows them.
func KnownScopes() []Scope {
	return []Scope{ScopeTasksRead, ScopeTasksWrite, ScopeOfflineAccess}
}

// ResourceScopes are the scopes of the MCP resource, the ones its tools
// require: what the protected-resource metadata and 401 challenges
// advertise and what a connector needs granted. offline_access is an
// authorization-server matter and is not one of them. A fork that renames
// or adds tool scopes changes them here.
func ResourceScopes() []Scope {
	return []Scope{ScopeTasksRead, ScopeTasksWrite}
}

// Principal is an authenticated caller: a user acting through a client with
// the scopes that user granted.
type Principal struct {
	UserID   uuid.UUID
	ClientID string
	GrantID  uuid.UUID
	Scopes   []Scope
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

// JoinScopes renders scopes space-separated, as OAuth does.
func JoinScopes(scopes []Scope) string {
	s := make([]string, len(scopes))
	for i, sc := range scopes {
		s[i] = string(sc)
	}
	return strings.Join(s, " ")
}

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
