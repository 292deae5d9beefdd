package account_test

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/taskbridge/taskbridge/internal/account"
)

// lockedBuffer is a log sink tests can read while the server writes.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Disconnecting an app that is not connected (already disconnected, a
// stale page, a made-up id) is the user's 404 with a clear message and
// nothing in the error log, so a signed-in user cannot trip the operator's
// 5xx alert (P7).
func TestDisconnectingAnAppThatIsNotConnectedIs404(t *testing.T) {
	logs := &lockedBuffer{}
	e := newEnv(t, func(o *envConfig) { o.Log = slog.New(slog.NewTextHandler(logs, nil)) })
	c := e.browser()
	e.mustSignup(c, uniqueEmail("gone"))
	p := e.get(c, "/account")
	p = e.post(c, "/account/connected-apps/revoke", url.Values{"csrf_token": {csrfFrom(t, p)}, "grant_id": {uuid.NewString()}})
	if p.StatusCode != http.StatusNotFound || !strings.Contains(p.body, "not connected to your account") {
		t.Fatalf("disconnecting an app that is not connected: %d, want 404 saying so\n%s", p.StatusCode, p.body)
	}
	if strings.Contains(logs.String(), "level=ERROR") {
		t.Fatalf("a 4xx was logged as an error:\n%s", logs.String())
	}
}

// Every signed-in form is limited per user (A7, I8): past the budget the
// user gets 429 with Retry-After, and another user keeps their own.
func TestSignedInFormsAreLimitedPerUser(t *testing.T) {
	e := newEnv(t, func(o *envConfig) { o.SessionFormRate = account.RateLimit{Requests: 2, Window: time.Minute} })
	busy, calm := e.browser(), e.browser()
	e.mustSignup(busy, uniqueEmail("busy"))
	e.mustSignup(calm, uniqueEmail("calm"))
	revoke := func(c *http.Client) page {
		p := e.get(c, "/account")
		return e.post(c, "/account/connected-apps/revoke", url.Values{"csrf_token": {csrfFrom(t, p)}, "grant_id": {uuid.NewString()}})
	}
	for i := range 2 {
		if p := revoke(busy); p.StatusCode != http.StatusNotFound {
			t.Fatalf("post %d within the budget: %d, want 404 (no such app)", i+1, p.StatusCode)
		}
	}
	p := revoke(busy)
	if p.StatusCode != http.StatusTooManyRequests || p.Header.Get("Retry-After") == "" {
		t.Fatalf("post past the budget: %d (Retry-After %q), want 429 with Retry-After", p.StatusCode, p.Header.Get("Retry-After"))
	}
	if e.metrics.throttled["/account/connected-apps/revoke"] != 1 {
		t.Errorf("throttled counts %v, want the route once", e.metrics.throttled)
	}
	if p := revoke(calm); p.StatusCode != http.StatusNotFound {
		t.Errorf("another user's post: %d, want 404 (their own budget)", p.StatusCode)
	}
}
