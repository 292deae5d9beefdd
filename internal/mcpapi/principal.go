package mcpapi

import (
	"context"
	"errors"
	"slices"

	"github.com/modelcontextprotocol/go-sdk/auth"

	"github.com/taskbridge/taskbridge/internal/identity"
)

var errNoPrincipal = errors.New("not authenticated")

// principalOf is the caller: the principal the bearer middleware put in the
// context. When the go-sdk also carries the token info (RequireBearerToken
// in the chain), it must name the same user, and only scopes present in
// both count. The user id never comes from tool arguments.
func principalOf(ctx context.Context, ti *auth.TokenInfo) (identity.Principal, error) {
	p, ok := identity.FromContext(ctx)
	if !ok {
		return identity.Principal{}, errNoPrincipal
	}
	if ti == nil {
		return p, nil
	}
	if ti.UserID != "" && ti.UserID != p.UserID.String() {
		return identity.Principal{}, errors.New("token user does not match the request principal")
	}
	var scopes []identity.Scope
	for _, sc := range p.Scopes {
		if slices.Contains(ti.Scopes, string(sc)) {
			scopes = append(scopes, sc)
		}
	}
	p.Scopes = scopes
	return p, nil
}
