package oauth

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/taskbridge/taskbridge/internal/identity"
)

// maxScopeParam bounds the scope parameter before it is split.
const maxScopeParam = 256

// ErrInvalidScope is a scope parameter that is malformed or names a scope
// this server does not have.
var ErrInvalidScope = errors.New("invalid scope")

// ParseScope parses an OAuth scope parameter (RFC 6749 §3.3: scope tokens
// separated by single spaces). Unknown scopes are an error rather than being
// dropped, so a client never silently gets less, or more, than it asked
// for. The result is deduplicated and in identity.KnownScopes order; an
// empty parameter gives nil.
func ParseScope(s string) ([]identity.Scope, error) {
	if s == "" {
		return nil, nil
	}
	if len(s) > maxScopeParam {
		return nil, fmt.Errorf("%w: too long", ErrInvalidScope)
	}
	seen := map[identity.Scope]bool{}
	for _, tok := range strings.Split(s, " ") {
		sc := identity.Scope(tok)
		if _, known := identity.LookupScope(sc); !known {
			return nil, fmt.Errorf("%w: unknown scope", ErrInvalidScope)
		}
		seen[sc] = true
	}
	return canonicalScopes(seen), nil
}

func canonicalScopes(set map[identity.Scope]bool) []identity.Scope {
	var out []identity.Scope
	for _, sc := range identity.KnownScopes() {
		if set[sc] {
			out = append(out, sc)
		}
	}
	return out
}

// scopeStrings converts for storage in a text[] column and for TokenInfo.
func scopeStrings(scopes []identity.Scope) []string {
	out := make([]string, len(scopes))
	for i, s := range scopes {
		out[i] = string(s)
	}
	return out
}

// scopesFromStrings reads stored scopes back, dropping anything the server
// no longer knows (a removed scope must not keep granting access).
func scopesFromStrings(ss []string) []identity.Scope {
	set := map[identity.Scope]bool{}
	for _, s := range ss {
		set[identity.Scope(s)] = true
	}
	return canonicalScopes(set)
}

// intersectScopes is a ∩ b in canonical order.
func intersectScopes(a, b []identity.Scope) []identity.Scope {
	set := map[identity.Scope]bool{}
	for _, s := range a {
		if slices.Contains(b, s) {
			set[s] = true
		}
	}
	return canonicalScopes(set)
}

// subsetOf reports whether every scope of a is in b.
func subsetOf(a, b []identity.Scope) bool {
	for _, s := range a {
		if !slices.Contains(b, s) {
			return false
		}
	}
	return true
}

// hasResourceScope reports whether scopes grant any access to the MCP
// resource at all; offline_access alone is meaningless.
func hasResourceScope(scopes []identity.Scope) bool {
	return slices.ContainsFunc(scopes, func(s identity.Scope) bool {
		d, _ := identity.LookupScope(s)
		return d.Resource == identity.ResourceMCP
	})
}

// askForAResourceScope is the refusal of a request without one: "ask for
// tasks.read or tasks.write".
func askForAResourceScope() string {
	names := scopeStrings(identity.ResourceScopes())
	if len(names) == 1 {
		return "ask for " + names[0]
	}
	return "ask for " + strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}
