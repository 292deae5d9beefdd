package mcpapi

import (
	"context"
	"fmt"
	"net/http"

	"github.com/google/uuid"

	"github.com/taskbridge/taskbridge/internal/identity"
	"github.com/taskbridge/taskbridge/internal/postgres"
)

// The conformance suite (make test-conformance) cannot send a bearer token
// in its server scenarios, so a test-only mode serves /mcp as one fixed
// fixture user. Config refuses it unless TASKBRIDGE_ENV=test on a loopback
// address, and serve checks the actual listener again; nothing else can
// turn it on.

// FixturePrincipal is the fixed conformance-test caller.
func FixturePrincipal() identity.Principal {
	return identity.Principal{
		UserID:   uuid.MustParse("00000000-0000-4000-8000-00000000c0f0"),
		ClientID: "conformance-fixture",
		Scopes:   []identity.Scope{identity.ScopeTasksRead, identity.ScopeTasksWrite},
	}
}

// FixtureAuthenticator ensures the fixture user exists and returns a
// middleware that authenticates every request as that user. Test mode only.
func FixtureAuthenticator(ctx context.Context, db *postgres.DB) (func(http.Handler) http.Handler, error) {
	p := FixturePrincipal()
	err := db.InUserTx(ctx, p.UserID, func(tx postgres.Querier) error {
		return postgres.EnsureFixtureUser(ctx, tx, p.UserID)
	})
	if err != nil {
		return nil, fmt.Errorf("create fixture user: %w", err)
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(w, r.WithContext(identity.WithPrincipal(r.Context(), p)))
		})
	}, nil
}
