package cli

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"

	"go.opentelemetry.io/otel/trace"

	"github.com/taskbridge/taskbridge/internal/config"
	"github.com/taskbridge/taskbridge/internal/keyring"
	"github.com/taskbridge/taskbridge/internal/mcpapi"
	"github.com/taskbridge/taskbridge/internal/postgres"
	"github.com/taskbridge/taskbridge/internal/privacy"
	"github.com/taskbridge/taskbridge/web/widget"
)

// newMCP builds the /mcp handler. Dev and test without
// TASKBRIDGE_MCP_STATE_KEY get an ephemeral key (config refuses that in
// prod).
func newMCP(cfg *config.Config, log *slog.Logger, db *postgres.DB, keys *keyring.Keyring, auditLog postgres.AuditAppender, m mcpapi.Metrics, tracer trace.TracerProvider, version string, privacySvc *privacy.Service) (http.Handler, error) {
	stateKey := cfg.MCP.StateKey
	if len(stateKey) == 0 {
		k, err := mcpapi.EphemeralStateKey()
		if err != nil {
			return nil, err
		}
		stateKey = k
		log.Warn("TASKBRIDGE_MCP_STATE_KEY is unset: using an ephemeral key; list cursors and delete confirmations end with this process")
	}
	return mcpapi.NewHandler(mcpapi.Deps{
		DB: db, Tasks: postgres.NewTasks(keys).WithMaxPerUser(cfg.Privacy.MaxTasksPerUser), StateKey: stateKey, PreviousStateKeys: cfg.MCP.PreviousStateKeys, Log: log, Audit: auditLog, Metrics: m, Tracer: tracer,
		Version:                 version,
		ResourceURL:             cfg.MCPResourceURL(),
		ResourceMetadataURL:     cfg.PublicURL.String() + "/.well-known/oauth-protected-resource/mcp",
		PublicURL:               cfg.PublicURL.String(),
		HTTPScopeChallenge:      cfg.MCP.HTTPScopeChallenge,
		RequireWidgetProvenance: cfg.MCP.RequireWidgetProvenance,
		Widget:                  &mcpapi.Widget{URI: widget.URI(), Register: widget.Register(cfg.Plugin.WidgetDomain)},
		AccountDeletion:         privacySvc,
		Limits: mcpapi.Limits{
			CallsPerMinute:          cfg.OAuth.MCPPerMinute,
			ConcurrentCallsPerGrant: cfg.MCP.ConcurrentCallsPerGrant,
			ConcurrentCallsPerUser:  cfg.MCP.ConcurrentCallsPerUser,
		},
	})
}

// fixtureAuthenticator is the conformance fixture's /mcp authenticator
// (TASKBRIDGE_MCP_TEST_FIXTURE), checked again against the real listener:
// it must be loopback.
func fixtureAuthenticator(ctx context.Context, cfg *config.Config, log *slog.Logger, db *postgres.DB, addr net.Addr) (func(http.Handler) http.Handler, error) {
	tcp, ok := addr.(*net.TCPAddr)
	if cfg.Mode != config.ModeTest || !ok || !tcp.IP.IsLoopback() {
		return nil, errors.New("TASKBRIDGE_MCP_TEST_FIXTURE needs TASKBRIDGE_ENV=test and a loopback listener")
	}
	authn, err := mcpapi.FixtureAuthenticator(ctx, db)
	if err != nil {
		return nil, err
	}
	log.Warn("TEST FIXTURE MODE: /mcp answers without a token as the fixture user (conformance tests only)")
	return authn, nil
}
