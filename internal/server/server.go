// Package server assembles taskbridge's HTTP handler: NewServer takes the
// already-built components and routes.go maps every URL to one of them.
package server

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/go-chi/chi/v5"
	"go.opentelemetry.io/otel/trace"

	"github.com/taskbridge/taskbridge/internal/account"
	"github.com/taskbridge/taskbridge/internal/config"
	"github.com/taskbridge/taskbridge/internal/oauth"
	"github.com/taskbridge/taskbridge/internal/privacy"
)

// Deps is everything the handler needs, built by the caller (cmd or a test).
type Deps struct {
	Config *config.Config
	Log    *slog.Logger
	// Ping reports database readiness for /readyz.
	Ping func(context.Context) error
	// MCP is the /mcp endpoint (internal/mcpapi); nil leaves it unmounted.
	MCP http.Handler
	// MCPAuthenticate puts the caller's identity.Principal in the request
	// context. nil means OAuth.RequireBearer, or, without OAuth, a guard
	// that refuses every request.
	MCPAuthenticate func(http.Handler) http.Handler

	// Accounts serves sign-up, login and the account pages; nil mounts none.
	Accounts *account.Service
	// OAuth is the authorization server and bearer guard; nil mounts none of it.
	OAuth *oauth.Server
	// HTTPMetrics, when set, counts and times every request (internal/metrics).
	HTTPMetrics func(http.Handler) http.Handler
	// Tracer, when set, traces every request, tool call and database
	// transaction (internal/tracing); nil (no exporter configured) adds
	// nothing to any request.
	Tracer trace.TracerProvider
	// RateLimited, when set, counts a request refused by a rate limit (per
	// IP, or per grant on /mcp);
	// route is the fixed path, never anything the client chose.
	RateLimited func(route string)
	// Privacy serves /privacy, the "Your data" page, export and erasure;
	// nil mounts none of it.
	Privacy *privacy.Service
	// TaskPage serves /tasks/{id} (internal/web) behind Accounts.RequireLogin;
	// nil, or nil Accounts, mounts none.
	TaskPage http.Handler
}

// NewServer returns the HTTP handler for the whole application.
func NewServer(d Deps) http.Handler {
	r := chi.NewRouter()
	addRoutes(r, d)
	return r
}
