package server_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/taskbridge/taskbridge/internal/config"
	"github.com/taskbridge/taskbridge/internal/logging"
	"github.com/taskbridge/taskbridge/internal/server"
)

// TestMCPRefusesUnauthenticatedByDefault: with no authenticator wired, the
// /mcp route answers 401 and never reaches the MCP handler.
func TestMCPRefusesUnauthenticatedByDefault(t *testing.T) {
	u, _ := url.Parse("http://localhost:8080")
	reached := false
	h := server.NewServer(server.Deps{
		Config: &config.Config{PublicURL: u, MaxBodyBytes: 1 << 20, RequestTimeout: 1e9},
		Log:    logging.New(&strings.Builder{}, logging.Options{}),
		MCP:    http.HandlerFunc(func(http.ResponseWriter, *http.Request) { reached = true }),
	})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/mcp", strings.NewReader(`{}`)))
	if rec.Code != http.StatusUnauthorized || reached {
		t.Fatalf("status %d reached=%v", rec.Code, reached)
	}
	if !strings.Contains(rec.Header().Get("WWW-Authenticate"), "oauth-protected-resource/mcp") {
		t.Fatalf("WWW-Authenticate %q", rec.Header().Get("WWW-Authenticate"))
	}
}
