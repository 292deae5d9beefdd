package identity_test

import (
	"slices"
	"testing"

	"github.com/taskbridge/taskbridge/internal/identity"
)

// TestResourceScopesAreKnownScopes: every scope a tool can require is one
// the server understands (and so advertises in scopes_supported), and
// offline_access, which only asks for a refresh token, is not among them.
func TestResourceScopesAreKnownScopes(t *testing.T) {
	resource := identity.ResourceScopes()
	if len(resource) == 0 {
		t.Fatal("ResourceScopes is empty: no tool could ever be called")
	}
	for _, s := range resource {
		if !slices.Contains(identity.KnownScopes(), s) {
			t.Errorf("resource scope %q is not in KnownScopes", s)
		}
	}
	if slices.Contains(resource, identity.ScopeOfflineAccess) {
		t.Errorf("ResourceScopes %q lists offline_access, an authorization-server scope", resource)
	}
}
