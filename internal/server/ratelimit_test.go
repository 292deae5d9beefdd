package server

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/go-chi/chi/v5/middleware"
)

// TestPerIPLimitAnswers429WithRetryAfterAndIsCounted covers the per-IP limits
// on /register, /token, /revoke, /authorize and /mcp (I8, L6).
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
