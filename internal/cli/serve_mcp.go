package cli

import (
	"context"
	"errors"
	"log/slog"
	"net"

	"github.com/taskbridge/taskbridge/internal/config"
	"github.com/taskbridge/taskbridge/internal/keyring"
	"github.com/taskbridge/taskbridge/internal/mcpapi"
	"github.com/taskbridge/taskbridge/internal/postgres"
	"github.com/taskbridge/taskbridge/internal/server"
	"github.com/taskbridge/taskbridge/web/widget"
)

// wireMCP builds the /mcp handler. Dev and test without
// TASKBRIDGE_MCP_STATE_KEY get an ephemeral key (config refuses that in
// prod). The conformance fixture mode is checked again against the real
// listener: it must be loopback.
func wireMCP(ctx context.Context, cfg *config.Config, log *slog.Logger, db *postgres.DB, keys *keyring.Keyring, auditLog postgres.AuditAppender, m mcpapi.Metrics, addr net.Addr, version string, d *server.Deps) error {
	stateKey := cfg.MCP.StateKey
	if len(stateKey) == 0 {
		k, err := mcpapi.EphemeralStateKey()
		if err != nil {
			return err
		}
		stateKey = k
		log.Warn("TASKBRIDGE_MCP_STATE_KEY is unset: using an ephemeral key; list cursors and delete confirmations end with this process")
	}
	h, err := mcpapi.NewHandler(mcpapi.Deps{
		DB: db, Tasks: postgres.NewTasks(keys).WithMaxPerUser(cfg.Privacy.MaxTasksPerUser), StateKey: stateKey, PreviousStateKeys: cfg.MCP.PreviousStateKeys, Log: log, Audit: auditLog, Metrics: m, Tracer: d.Tracer,
		Version:                 version,
		ResourceURL:             cfg.MCPResourceURL(),
		ResourceMetadataURL:     cfg.PublicURL.String() + "/.well-known/oauth-protected-resource/mcp",
		PublicURL:               cfg.PublicURL.String(),
		HTTPScopeChallenge:      cfg.MCP.HTTPScopeChallenge,
		RequireWidgetProvenance: cfg.MCP.RequireWidgetProvenance,
		Widget:                  &mcpapi.Widget{URI: widget.URI(), Register: widget.Register(cfg.Plugin.WidgetDomain)},
		AccountDeletion:         accountDeletion(d.Privacy),
		Limits: mcpapi.Limits{
			CallsPerMinute:          cfg.OAuth.MCPPerMinute,
			ConcurrentCallsPerGrant: cfg.MCP.ConcurrentCallsPerGrant,
			ConcurrentCallsPerUser:  cfg.MCP.ConcurrentCallsPerUser,
		},
	})
	if err != nil {
		return err
	}
	d.MCP = h
	if cfg.MCP.TestFixture {
		tcp, ok := addr.(*net.TCPAddr)
		if cfg.Mode != config.ModeTest || !ok || !tcp.IP.IsLoopback() {
			return errors.New("TASKBRIDGE_MCP_TEST_FIXTURE needs TASKBRIDGE_ENV=test and a loopback listener")
		}
		authn, err := mcpapi.FixtureAuthenticator(ctx, db)
		if err != nil {
			return err
		}
		d.MCPAuthenticate = authn
		log.Warn("TEST FIXTURE MODE: /mcp answers without a token as the fixture user (conformance tests only)")
	}
	return nil
}
