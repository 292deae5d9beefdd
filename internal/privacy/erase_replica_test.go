package privacy_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"testing"

	"github.com/taskbridge/taskbridge/internal/privacy"
)

// TestErasureOnAnotherReplicaNeverYieldsA500: a replica that did not perform
// the erasure may trust a cached token verification for up to
// oauth.TokenCacheTTL; inside that window the erased user's export must
// answer 401, not fail with a server error or produce a document.
func TestErasureOnAnotherReplicaNeverYieldsA500(t *testing.T) {
	e := newEnv(t)
	user, _ := e.newUser("replica")
	tok, _ := e.grantFixture(user, "tasks.read", "tasks.write")
	if p := e.do(http.DefaultClient, "GET", "/api/export", nil, bearer(tok)); p.status != http.StatusOK {
		t.Fatalf("export before erasure: %d", p.status) // also caches the token on this replica
	}
	// The other replica: same database, no access to this replica's cache.
	other, err := privacy.New(privacy.Options{DB: e.db, Keys: e.keys, Audit: e.auditLog,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), PublicURL: e.url})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.EraseAccount(context.Background(), user, "test"); err != nil {
		t.Fatal(err)
	}
	if p := e.do(http.DefaultClient, "GET", "/api/export", nil, bearer(tok)); p.status != http.StatusUnauthorized {
		t.Fatalf("export of an account erased elsewhere: %d, want 401\n%s", p.status, p.body)
	}
}
