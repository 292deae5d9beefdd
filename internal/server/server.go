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
	"github.com/taskbridge/taskbridge/internal/tracing"
)

// deps is what the routes are served by: NewServer's arguments and the
// settings its options adjust.
type deps struct {
	cfg  *config.Config
	log  *slog.Logger
	ping func(context.Context) error // database readiness, for /readyz

	accounts *account.Service // sign-up, login, the account pages
	oauth    *oauth.Server    // the authorization server and bearer guard
	privacy  *privacy.Service // /privacy, "Your data", export and erasure
	taskPage http.Handler     // /tasks/{id} (internal/web)
	mcp      http.Handler     // /mcp (internal/mcpapi)

	settings
}

// settings are the optional parts; the defaults are what serve runs
// without metrics, tracing or the test fixture.
type settings struct {
	// httpMetrics counts and times every request; outermost, it must see
	// the final status, 500s from Recover included.
	httpMetrics func(http.Handler) http.Handler
	// tracing traces every request, outside Recover for the same reason.
	tracing func(http.Handler) http.Handler
	// rateLimited counts a request refused by a rate limit (per IP, or per
	// grant on /mcp); route is the fixed path, never anything the client chose.
	rateLimited func(route string)
	// mcpAuthenticate puts the caller's identity.Principal in the request
	// context of /mcp; needsTokenLookup says whether it will take a
	// database lookup (mcpRateLimits), nil meaning always.
	mcpAuthenticate  func(http.Handler) http.Handler
	needsTokenLookup func(*http.Request) bool
}

// Option adjusts the server; without any it serves every route with the
// OAuth bearer guard on /mcp and records no metrics or traces.
type Option func(*settings)

// WithHTTPMetrics counts and times every request (internal/metrics).
func WithHTTPMetrics(mw func(http.Handler) http.Handler) Option {
	return func(s *settings) { s.httpMetrics = mw }
}

// WithTracer traces every request, tool call and database transaction
// (internal/tracing); a nil provider (no exporter configured) adds nothing
// to any request.
func WithTracer(tp trace.TracerProvider) Option {
	return func(s *settings) {
		if tp != nil {
			s.tracing = tracing.HTTP(tp)
		}
	}
}

// WithRateLimitCounter is told the route of every request a rate limit refuses.
func WithRateLimitCounter(count func(route string)) Option {
	return func(s *settings) { s.rateLimited = count }
}

// WithMCPAuthenticator replaces the OAuth bearer guard of /mcp: the
// conformance fixture (mcpapi.FixtureAuthenticator) and tests use it. Its
// cost is unknown, so every request counts as one needing a token lookup
// for the refused-requests queue.
func WithMCPAuthenticator(authenticate func(http.Handler) http.Handler) Option {
	return func(s *settings) { s.mcpAuthenticate, s.needsTokenLookup = authenticate, nil }
}

// NewServer returns the HTTP handler for the whole application: every
// component is required, and every route is always mounted (routes.go).
func NewServer(cfg *config.Config, log *slog.Logger, ping func(context.Context) error,
	accounts *account.Service, authServer *oauth.Server, privacySvc *privacy.Service,
	taskPage, mcp http.Handler, opts ...Option,
) http.Handler {
	d := deps{
		cfg: cfg, log: log, ping: ping,
		accounts: accounts, oauth: authServer, privacy: privacySvc, taskPage: taskPage, mcp: mcp,
		settings: settings{
			httpMetrics:      passThrough,
			tracing:          passThrough,
			rateLimited:      func(string) {},
			mcpAuthenticate:  authServer.RequireBearer,
			needsTokenLookup: authServer.NeedsTokenLookup,
		},
	}
	for _, o := range opts {
		o(&d.settings)
	}
	r := chi.NewRouter()
	addRoutes(r, d)
	return r
}

func passThrough(next http.Handler) http.Handler { return next }
