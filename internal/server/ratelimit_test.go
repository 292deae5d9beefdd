package server

import (
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync"
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
	h := middleware.ClientIPFromRemoteAddr(perIP(deps{settings: settings{rateLimited: func(route string) { counted[route]++ }}}, "/token", 2)(
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
// from another IP; requests that authentication refuses are counted per
// IP, and valid requests and 5xx answers do not use up that budget; an IP
// over it is still authenticated, so a valid token from it works (I8, L6).
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
	d := deps{settings: settings{rateLimited: func(route string) { counted[route]++ }}}
	h := middleware.ClientIPFromRemoteAddr(mcpRateLimits(d, 2, 2, authenticate, nil)(
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
	// Over the refused budget: the authenticator still runs, and a valid
	// grant from that IP is served; refusals stay 401 (a client with an
	// expired token must still learn to refresh it).
	before := authCalls
	if rec := call(shared, grantB.String()); rec.Code != http.StatusNoContent {
		t.Fatalf("a valid grant from an IP over its refused budget: %d, want 204", rec.Code)
	}
	if authCalls != before+1 {
		t.Fatal("the authenticator did not check the token")
	}
	if rec := call(shared, "bad"); rec.Code != http.StatusUnauthorized {
		t.Fatalf("a refused request over the budget: %d, want 401", rec.Code)
	}
	if counted["/mcp"] != 2 {
		t.Fatalf("rate-limit hits counted %v, want /mcp twice", counted)
	}
}

// TestMCPTokenLookupsFromAFloodingIPRunOneAtATime (I8): once an IP is over
// its refused budget, the requests from it whose check needs a database
// lookup are authenticated one at a time, so a junk-token flood from one
// address holds at most one connection; a request checked from memory (a
// recently verified token) does not wait behind that flood.
func TestMCPTokenLookupsFromAFloodingIPRunOneAtATime(t *testing.T) {
	gate := make(chan struct{})
	var (
		mu                sync.Mutex
		inside, maxInside int
	)
	// "junk" is a token whose lookup blocks until the gate opens, then is
	// refused; "cached" is a valid token checked from memory.
	authenticate := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("X-Test-Auth") == "cached" {
				next.ServeHTTP(w, r.WithContext(identity.WithPrincipal(r.Context(),
					identity.Principal{UserID: uuid.New(), ClientID: "c", GrantID: uuid.New()})))
				return
			}
			mu.Lock()
			inside++
			maxInside = max(maxInside, inside)
			mu.Unlock()
			<-gate
			mu.Lock()
			inside--
			mu.Unlock()
			httpx.WriteError(w, r, http.StatusUnauthorized, "invalid_token", "refused")
		})
	}
	needsLookup := func(r *http.Request) bool { return r.Header.Get("X-Test-Auth") != "cached" }
	h := middleware.ClientIPFromRemoteAddr(mcpRateLimits(deps{settings: settings{rateLimited: func(string) {}}}, 1, 100, authenticate, needsLookup)(
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })))
	call := func(auth string) int {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodPost, "/mcp", nil)
		req.RemoteAddr = "198.51.100.7:40000"
		req.Header.Set("X-Test-Auth", auth)
		h.ServeHTTP(rec, req)
		return rec.Code
	}
	close(gate)
	if code := call("junk"); code != http.StatusUnauthorized { // uses up the budget of 1
		t.Fatalf("first junk token: %d", code)
	}
	gate = make(chan struct{})
	var wg sync.WaitGroup
	codes := make([]int, 3)
	for i := range codes {
		wg.Add(1)
		go func() { defer wg.Done(); codes[i] = call("junk") }()
	}
	for {
		mu.Lock()
		n := inside
		mu.Unlock()
		if n > 0 {
			break
		}
		runtime.Gosched() // waiting for the state: one lookup in progress
	}
	if code := call("cached"); code != http.StatusNoContent {
		t.Fatalf("a token checked from memory while the flood's lookup is stuck: %d, want 204", code)
	}
	close(gate)
	wg.Wait()
	for _, code := range codes {
		if code != http.StatusUnauthorized {
			t.Fatalf("junk tokens over the budget: %v, want 401 each", codes)
		}
	}
	if maxInside != 1 {
		t.Fatalf("%d token lookups from one flooding IP ran at once, want 1", maxInside)
	}
}
