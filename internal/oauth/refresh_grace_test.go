package oauth_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// whoami calls the stand-in MCP endpoint with an access token and returns
// the principal RequireBearer put in the context.
func (e *env) whoami(access string) (int, map[string]any) {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.url+"/mcp", strings.NewReader(`{}`))
	req.Header.Set("Authorization", "Bearer "+access)
	resp, err := e.client.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	return resp.StatusCode, m
}

// lastAuditDetail is the detail of the newest audit event of a type.
func (e *env) lastAuditDetail(eventType string) map[string]any {
	e.t.Helper()
	var raw []byte
	if err := tdb.Admin(e.t).QueryRow(context.Background(), `SELECT detail FROM audit_events WHERE event_type = $1
		ORDER BY id DESC LIMIT 1`, eventType).Scan(&raw); err != nil {
		e.t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		e.t.Fatal(err)
	}
	return m
}

// TestRefreshGraceRetryHonoursRequestedScope: a client that retries a
// refresh within the grace window (it lost the first answer) gets the same
// successor, and its access token follows the same scope rules as a normal
// refresh: a requested narrower scope is honoured exactly, a wider one is
// refused without revoking anything, and the retry is audited (A5, P1, L4).
func TestRefreshGraceRetryHonoursRequestedScope(t *testing.T) {
	t.Run("downscope honoured and audited", func(t *testing.T) {
		e := newEnv(t)
		c := e.publicClient()
		tok := e.login(e.newUser(), c, true)
		if tok.Scope != "tasks.read tasks.write" {
			t.Fatalf("login scope %q", tok.Scope)
		}
		resp, first := e.refresh(c, tok.Refresh, nil)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("first refresh: %d %v", resp.StatusCode, first)
		}
		e.clock.Advance(5 * time.Second)
		before := e.auditCount("oauth.token.refresh")
		resp, retry := e.refresh(c, tok.Refresh, url.Values{"scope": {"tasks.read"}})
		if resp.StatusCode != http.StatusOK || retry["refresh_token"] != first["refresh_token"] {
			t.Fatalf("narrowed retry within grace: %d %v (first successor %v)", resp.StatusCode, retry, first["refresh_token"])
		}
		if retry["scope"] != "tasks.read" {
			t.Fatalf("narrowed retry answered scope %q, want tasks.read", retry["scope"])
		}
		if status, who := e.whoami(retry["access_token"].(string)); status != http.StatusOK || who["scopes"] != "tasks.read" {
			t.Fatalf("access token of the narrowed retry: %d %v, want scopes tasks.read", status, who)
		}
		if got := e.auditCount("oauth.token.refresh"); got != before+1 {
			t.Fatalf("grace retry wrote %d oauth.token.refresh events, want 1", got-before)
		}
		d := e.lastAuditDetail("oauth.token.refresh")
		if d["grace"] != true || len(d["scopes"].([]any)) != 1 || d["scopes"].([]any)[0] != "tasks.read" {
			t.Fatalf("grace retry audit detail %v", d)
		}
		// A retry without scope gets the refresh token's full scope.
		if _, again := e.refresh(c, tok.Refresh, nil); again["scope"] != "tasks.read tasks.write" {
			t.Fatalf("plain retry within grace: %v", again)
		}
	})
	t.Run("upscope refused without revoking", func(t *testing.T) {
		e := newEnv(t)
		c := e.publicClient()
		ro := e.login(e.newUser(), c, false)
		if ro.Scope != "tasks.read" {
			t.Fatalf("read-only login scope %q", ro.Scope)
		}
		_, first := e.refresh(c, ro.Refresh, nil)
		e.clock.Advance(5 * time.Second)
		resp, retry := e.refresh(c, ro.Refresh, url.Values{"scope": {"tasks.read tasks.write"}})
		if resp.StatusCode != http.StatusBadRequest || retry["error"] != "invalid_scope" {
			t.Fatalf("widening retry within grace: %d %v, want invalid_scope", resp.StatusCode, retry)
		}
		// A refused scope is not reuse: the family lives on.
		if resp, body := e.refresh(c, first["refresh_token"].(string), nil); resp.StatusCode != http.StatusOK || body["scope"] != "tasks.read" {
			t.Fatalf("successor after a refused widening retry: %d %v", resp.StatusCode, body)
		}
	})
}
