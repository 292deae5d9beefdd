package e2e_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestPrintedURLLeadsToSignUp follows README's "open the printed URL": the
// server's root leads a signed-out visitor to the login page, which links
// to sign-up.
func TestPrintedURLLeadsToSignUp(t *testing.T) {
	srv := startServer(t)
	b := newBrowser(t, srv)
	at := b.Get("/")
	for hops := 0; at.Location != "" && hops < 5; hops++ {
		at = b.Get(at.Location)
	}
	if at.Status != http.StatusOK || !strings.Contains(at.Body, `href="/signup`) {
		t.Fatalf("the root ends at %d without a sign-up link:\n%s", at.Status, at.Body)
	}
}
