package server

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/go-chi/chi/v5/middleware"
	"github.com/google/uuid"

	"github.com/taskbridge/taskbridge/internal/httpx"
	"github.com/taskbridge/taskbridge/internal/identity"
)

// TestPerIPLimitAnswers429WithRetryAfterAndIsCounted covers the per-IP limits
// on /register, /token, /revoke and /authorize (I8, L6); /mcp has its own,
// TestMCPLimitIsPerGrantAndRefusalsArePerIP.
func TestPerIPLimitAnswers429WithRetryAfterAndIsCounted(t *testing.T) {
	counted := map[string]int{}
	h := middleware.ClientIPFromRemoteAddr(perIP(Deps{RateLimited: func(route string) { counted[route]++ }}, "/token", 2)(
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })))
	codes := []int{}
	for range 3 {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodPost, "/token", nil)
		req.RemoteAddr = "198.51.100.7:40000"
		h.ServeHTTP(rec, req)
		codes = append(codes, rec.Code)
		if rec.Code == http.StatusTooManyRequests && rec.Header().Get("Retry-After") == "" {
			t.Error("429 without Retry-After")
		}
	}
	if codes[0] != http.StatusNoContent || codes[1] != http.StatusNoContent || codes[2] != http.StatusTooManyRequests {
		t.Fatalf("statuses %v, want 204 204 429", codes)
	}
	if counted["/token"] != 1 {
		t.Fatalf("rate-limit hits counted %v, want /token once", counted)
	}
	// Another client has its own bucket.
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodPost, "/token", nil)
	req.RemoteAddr = "203.0.113.9:40000"
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusNoContent {
		t.Fatalf("a different client was limited: %d", rec.Code)
	}
}

// TestMCPLimitIsPerGrantAndRefusalsArePerIP: the /mcp limit follows the
// authenticated grant, not the IP, so users behind one shared egress IP
// (ChatGPT, Claude) have a budget each and a grant's budget does not reset
// from another IP; requests that authentication refuses are limited per IP,
// and once an IP is over that limit it gets 429 before the authenticator
// runs; valid requests and 5xx answers do not use up that budget (I8, L6).
func TestMCPLimitIsPerGrantAndRefusalsArePerIP(t *testing.T) {
	grantA, grantB := uuid.New(), uuid.New()
	authCalls := 0
	// The stand-in authenticator: X-Test-Auth names a grant, "bad" is a
	// refused token, "down" a database outage.
	authenticate := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			authCalls++
			switch v := r.Header.Get("X-Test-Auth"); v {
			case "bad":
				httpx.WriteError(w, r, http.StatusUnauthorized, "invalid_token", "refused")
			case "down":
				httpx.WriteError(w, r, http.StatusServiceUnavailable, "temporarily_unavailable", "down")
			default:
				next.ServeHTTP(w, r.WithContext(identity.WithPrincipal(r.Context(),
					identity.Principal{UserID: uuid.New(), ClientID: "c", GrantID: uuid.MustParse(v)})))
			}
		})
	}
	counted := map[string]int{}
	d := Deps{RateLimited: func(route string) { counted[route]++ }}
	h := middleware.ClientIPFromRemoteAddr(mcpRateLimits(d, 2, 2, authenticate)(
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })))
	call := func(ip, auth string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodPost, "/mcp", nil)
		req.RemoteAddr = ip + ":40000"
		req.Header.Set("X-Test-Auth", auth)
		h.ServeHTTP(rec, req)
		return rec
	}
	const shared, other = "198.51.100.7", "203.0.113.9"

	// Per grant: A's third request is refused, B behind the same IP is not,
	// and A from another IP is still refused.
	for i := range 2 {
		if rec := call(shared, grantA.String()); rec.Code != http.StatusNoContent {
			t.Fatalf("grant A request %d: %d", i+1, rec.Code)
		}
	}
	rec := call(shared, grantA.String())
	if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") == "" {
		t.Fatalf("grant A over its limit: %d, Retry-After %q; want 429 with Retry-After", rec.Code, rec.Header().Get("Retry-After"))
	}
	if rec := call(shared, grantB.String()); rec.Code != http.StatusNoContent {
		t.Fatalf("grant B behind the same IP was limited by grant A's traffic: %d", rec.Code)
	}
	if rec := call(other, grantA.String()); rec.Code != http.StatusTooManyRequests {
		t.Fatalf("grant A from another IP: %d, want 429 (the budget is the grant's)", rec.Code)
	}
	if counted["/mcp"] != 2 {
		t.Fatalf("rate-limit hits counted %v, want /mcp twice", counted)
	}

	// Valid requests (5 so far from shared) and outages do not use up the
	// refused budget: two refusals still answer 401.
	for range 3 {
		if rec := call(shared, "down"); rec.Code != http.StatusServiceUnavailable {
			t.Fatalf("outage: %d", rec.Code)
		}
	}
	for i := range 2 {
		if rec := call(shared, "bad"); rec.Code != http.StatusUnauthorized {
			t.Fatalf("refused request %d: %d, want 401", i+1, rec.Code)
		}
	}
	// Over the refused budget: 429 before the authenticator, even for a
	// valid grant; another IP is unaffected.
	before := authCalls
	rec = call(shared, grantB.String())
	if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") == "" {
		t.Fatalf("IP over its refused budget: %d, Retry-After %q; want 429 with Retry-After", rec.Code, rec.Header().Get("Retry-After"))
	}
	if authCalls != before {
		t.Fatal("the authenticator (a token lookup) ran for an IP over its refused budget")
	}
	if rec := call(other, "bad"); rec.Code != http.StatusUnauthorized {
		t.Fatalf("another IP's refused request: %d, want 401", rec.Code)
	}
	if counted["/mcp"] != 3 {
		t.Fatalf("rate-limit hits counted %v, want /mcp three times", counted)
	}
}
