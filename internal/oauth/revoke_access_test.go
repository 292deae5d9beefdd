package oauth_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
)

// TestRFC7009RevokeAccessToken: revoking an ACCESS token at /revoke ends
// that token on the very next request (401 invalid_token with the
// resource-metadata challenge), even though this replica had just cached
// it as valid; another client cannot revoke it; the answer is 200 either
// way and for unknown or already revoked tokens (RFC 7009 §2.2), so the
// endpoint reveals nothing. Only the access token ends: the grant and its
// refresh token stay (A4, A5, P7).
func TestRFC7009RevokeAccessToken(t *testing.T) {
	e := newEnv(t)
	c := e.publicClient()
	other := e.publicClient()
	user := e.newUser()
	tok := e.login(user, c, true)
	if resp := e.mcp("Bearer " + tok.Access); resp.StatusCode != http.StatusOK {
		t.Fatalf("fresh access token: %d", resp.StatusCode)
	}
	revokes := e.auditCount("oauth.token.revoke")

	if resp := e.revoke(other, tok.Access); resp.StatusCode != http.StatusOK {
		t.Fatalf("revocation by another client: %d, want 200", resp.StatusCode)
	}
	if resp := e.mcp("Bearer " + tok.Access); resp.StatusCode != http.StatusOK {
		t.Fatalf("another client revoked the access token: %d", resp.StatusCode)
	}
	if e.auditCount("oauth.token.revoke") != revokes {
		t.Fatal("a refused revocation by another client was audited as a revocation")
	}

	if resp := e.revoke(c, tok.Access); resp.StatusCode != http.StatusOK {
		t.Fatalf("revocation by the owner: %d, want 200", resp.StatusCode)
	}
	resp := e.mcp("Bearer " + tok.Access)
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("next request with the revoked access token: %d, want 401", resp.StatusCode)
	}
	if ch := resp.Header.Get("WWW-Authenticate"); !strings.Contains(ch, `error="invalid_token"`) || !strings.Contains(ch, "resource_metadata=") {
		t.Fatalf("challenge for a revoked token: %q", ch)
	}
	if e.auditCount("oauth.token.revoke") != revokes+1 {
		t.Fatal("access-token revocation not audited")
	}
	var revokedAt *string
	if err := tdb.Admin(t).QueryRow(context.Background(), `SELECT revoked_at::text FROM oauth_tokens
		WHERE token_hash = sha256($1::bytea)`, []byte(tok.Access)).Scan(&revokedAt); err != nil || revokedAt == nil {
		t.Fatalf("access token row not marked revoked: %v %v", revokedAt, err)
	}

	// Again, and an unknown access token: still 200.
	if resp := e.revoke(c, tok.Access); resp.StatusCode != http.StatusOK {
		t.Fatalf("second revocation: %d", resp.StatusCode)
	}
	if resp := e.revoke(c, "tbat_unknown"); resp.StatusCode != http.StatusOK {
		t.Fatalf("unknown access token: %d", resp.StatusCode)
	}

	// The grant survives: its refresh token still works.
	rr, body := e.refresh(c, tok.Refresh, nil)
	if rr.StatusCode != http.StatusOK {
		t.Fatalf("refresh after revoking only the access token: %d %v", rr.StatusCode, body)
	}
	if resp := e.mcp("Bearer " + body["access_token"].(string)); resp.StatusCode != http.StatusOK {
		t.Fatalf("new access token after the old one was revoked: %d", resp.StatusCode)
	}
	if grants, err := e.oauth.ListGrants(context.Background(), user); err != nil || len(grants) != 1 {
		t.Fatalf("grants after revoking an access token: %v %v", grants, err)
	}
}
