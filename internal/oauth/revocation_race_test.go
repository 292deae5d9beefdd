package oauth_test

import (
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/taskbridge/taskbridge/internal/audit"
)

// inTxProbe checks an access token on /mcp from inside the transaction
// that appends an audit event of one type, and keeps the status.
type inTxProbe struct {
	access atomic.Value // string: the token to check
	status atomic.Int32 // the answer, 0 until the probe ran
}

// newEnvWithProbe is an env whose audit hook runs the probe when an event
// of eventType is appended (after the revocation, before the commit).
func newEnvWithProbe(t *testing.T, eventType string) (*env, *inTxProbe) {
	probe := &inTxProbe{}
	var base atomic.Value
	e := newEnv(t, withAuditHook(func(ev audit.Event) {
		a, _ := probe.access.Load().(string)
		u, _ := base.Load().(string)
		if ev.Type == eventType && a != "" && u != "" {
			probe.status.Store(int32(bearerStatus(u, a)))
		}
	}))
	base.Store(e.url)
	return e, probe
}

// bearerStatus calls /mcp with an access token from any goroutine (it
// never calls t.Fatal) and returns the status, or -1 on a transport error.
func bearerStatus(base, access string) int {
	req, _ := http.NewRequest(http.MethodPost, base+"/mcp", strings.NewReader(`{}`))
	req.Header.Set("Authorization", "Bearer "+access)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return -1
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestRevocationByCodeReplayOrRefreshReuseIsHonouredOnTheNextRequest: a
// bearer check that runs while the revoking transaction of a code replay or
// a refresh-token reuse is still open sees the token as valid (the
// revocation is not committed) and caches that answer. The cache must be
// cleared after the commit, so the very next request on this replica is
// refused; cleared only before the commit, the token kept working for the
// cache TTL (A5, P7). The probe runs inside the revoking transaction, after
// the family was revoked and before the commit; the injected clock does not
// move, so a stale cache entry would stay fresh for the whole test.
func TestRevocationByCodeReplayOrRefreshReuseIsHonouredOnTheNextRequest(t *testing.T) {
	t.Run("code replay", func(t *testing.T) {
		e, probe := newEnvWithProbe(t, "oauth.code.replay")
		c := e.publicClient()
		p := newPKCE()
		code := e.code(e.newUser(), c, p, true)
		resp, first := e.exchange(c, code, p)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("exchange: %d %v", resp.StatusCode, first)
		}
		access := first["access_token"].(string)
		probe.access.Store(access)
		if resp, body := e.exchange(c, code, p); body["error"] != "invalid_grant" {
			t.Fatalf("replay: %d %v", resp.StatusCode, body)
		}
		if got := probe.status.Load(); got != http.StatusOK {
			t.Fatalf("bearer check inside the revoking transaction: %d, want 200 (not committed yet)", got)
		}
		if resp := e.mcp("Bearer " + access); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("next request after the code replay: %d, want 401 at once", resp.StatusCode)
		}
	})
	t.Run("refresh reuse", func(t *testing.T) {
		e, probe := newEnvWithProbe(t, "oauth.refresh.reuse")
		c := e.publicClient()
		tok := e.login(e.newUser(), c, true)
		_, r1 := e.refresh(c, tok.Refresh, nil)
		_, r2 := e.refresh(c, r1["refresh_token"].(string), nil)
		access := r2["access_token"].(string)
		probe.access.Store(access)
		// tok.Refresh is two generations old: reuse, not a grace retry.
		if resp, body := e.refresh(c, tok.Refresh, nil); body["error"] != "invalid_grant" {
			t.Fatalf("reuse: %d %v", resp.StatusCode, body)
		}
		if got := probe.status.Load(); got != http.StatusOK {
			t.Fatalf("bearer check inside the revoking transaction: %d, want 200 (not committed yet)", got)
		}
		if resp := e.mcp("Bearer " + access); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("next request after refresh-token reuse: %d, want 401 at once", resp.StatusCode)
		}
	})
}
